import { type Compilable, type CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { Adapter, AdapterConstructor, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { SecretBox } from '../../core/secret-box.js';
import { digestToken } from '../../core/token.js';
import type { Database, DbBool, DbTime, Dialect } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';

/** `oauth_server_artifacts` (migration 0012): one row per thing the engine keeps, by its id's digest. */
export interface OAuthServerArtifactsTable {
  model: string;
  /** SHA-256 hex of the id (the code or token itself): never the id. */
  id_digest: string;
  /** The engine's payload as JSON, without `jti`, `userCode` and `consumed` (columns of their own). */
  payload: string;
  /** Set on the models a grant revokes (codes, tokens, device codes). */
  grant_id: string | null;
  client_id: string | null;
  user_id: number | null;
  /** A session's `uid` (not a bearer value: the engine finds a session by it, never signs one in). */
  uid: string | null;
  /** SHA-256 hex of a device flow's user code. */
  user_code_digest: string | null;
  /** A device code's id sealed under SECRET_KEY, so that finding it by user code can save the approval under it. */
  sealed_id: string | null;
  expires_at: DbTime | null;
  consumed_at: DbTime | null;
  created_at: DbTime;
}

/** `oauth_server_clients` (migration 0012). */
export interface OAuthServerClientsTable {
  client_id: string;
  /** RFC 7591 metadata as JSON; `client_secret`, when present, is its SHA-256 hex digest. */
  metadata: string;
  first_party: DbBool;
  created_at: DbTime;
}

/** `oauth_server_keys` (migration 0012). */
export interface OAuthServerKeysTable {
  kid: string;
  /** The private JWK sealed by {@link SecretBox} under SECRET_KEY. */
  sealed_jwk: string;
  created_at: DbTime;
  retired_at: DbTime | null;
}

/** The tables of this capability (migration 0012), kept out of the kernel's schema. */
// A type alias, not an interface: Kysely's `withTables` wants a type with an implicit index signature.
export type OAuthServerTables = {
  oauth_server_artifacts: OAuthServerArtifactsTable;
  oauth_server_clients: OAuthServerClientsTable;
  oauth_server_keys: OAuthServerKeysTable;
};

/** The store's connection seen with this capability's tables too. */
export type OAuthServerDb = Kysely<Database & OAuthServerTables>;

export function oauthServerDb(db: Kysely<Database>): OAuthServerDb {
  return db.withTables<OAuthServerTables>();
}

/**
 * The engine's models whose rows belong to a grant: revoking the grant (a reused refresh token, a
 * code presented twice, RFC 9700 §4.14.2 and RFC 6749 §4.1.2) deletes them all.
 */
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** The user id in an engine `accountId` (our ids as decimal strings); anything else owns nothing. */
function userIdOf(accountId: unknown): number | null {
  if (typeof accountId !== 'string' || !/^[1-9][0-9]{0,14}$/.test(accountId)) return null;
  return Number(accountId);
}

/** Whose row this is: the token's or grant's account, or the account an interaction is about. */
function ownerOf(payload: AdapterPayload): number | null {
  const interaction = payload as { session?: { accountId?: unknown }; result?: { login?: { accountId?: unknown } } };
  return userIdOf(payload.accountId ?? interaction.session?.accountId ?? interaction.result?.login?.accountId);
}

function clientOf(payload: AdapterPayload): string | null {
  const clientId = payload.clientId ?? (payload.params as { client_id?: unknown } | undefined)?.client_id;
  return typeof clientId === 'string' ? clientId : null;
}

/** The purpose label of the key that seals device codes' ids (HKDF `info`, see core/secret-box.ts). */
const DEVICE_CODE_PURPOSE = 'oauth-server-device-code';

export interface SQLAdapterOptions {
  /** `SECRET_KEY` first, then `SECRET_KEY_FALLBACKS`: seal device codes' ids (see `sealed_id`). */
  secretKeys: readonly string[];
  /** The clock (tests move it); default the system's. */
  now?: () => Date;
  /**
   * Told the users whose grant this process ended (a `Grant` row deleted), once the delete
   * returned: the instance's cached answers for their JWT access tokens go at once, and the
   * change is published where instances hear of each other's (Redis). The database announces the
   * same deletion itself (migration 0013) to instances listening to it.
   */
  onGrantsEnded?: GrantsEndedListener;
}

/** Receives the ids of the users whose grants a deletion ended (possibly none). */
export type GrantsEndedListener = (userIds: number[]) => void;

/** The user ids of deleted `Grant` rows (from `returning model, user_id`), once each. */
function endedGrantOwners(rows: readonly { model: string; user_id: number | null }[]): number[] {
  return [...new Set(rows.filter((row) => row.model === 'Grant' && row.user_id !== null).map((row) => row.user_id!))];
}

/** A user's grant to a client, as "Connected apps" lists it. */
export interface UserGrant {
  clientId: string;
  /** The client's `client_name`, when the client is still registered and has one. */
  clientName: string | null;
  /** The scopes granted, OpenID ones and each resource's, once each. */
  scopes: string[];
  createdAt: Date;
}

/**
 * The engine's `adapter` option (pass the function itself), with what the rest of the service
 * needs of the same storage.
 */
export interface SQLAdapterFactory extends AdapterFactory {
  /** The same as a class, for a seam that wants `new Adapter(name)` (it gives the factory's adapter). */
  Adapter: AdapterConstructor;
  /**
   * Deletes everything the engine keeps for a user: grants, codes, refresh and opaque access
   * tokens, provider sessions, interactions. Called on deactivation, deletion, a password change
   * or reset; every instance reads this table, so the tokens die everywhere at once. Returns how
   * many rows went.
   */
  revokeUserGrants(userId: number): Promise<number>;
  /** The same for one client of a user ("Connected apps": forget this app). */
  revokeUserClientGrants(userId: number, clientId: string): Promise<number>;
  /** The user's unexpired grants, oldest first. */
  listUserGrants(userId: number): Promise<UserGrant[]>;
  /**
   * Whether the user has an unexpired grant for this client: what the resource server asks on
   * every request with one of our JWT access tokens (docs/resource-server.md). One indexed row
   * read, where listing every grant and parsing its payload took 17.5 % of such a request's CPU
   * (docs/BENCHMARKS.md, row 11).
   */
  hasUserGrant(userId: number, clientId: string): Promise<boolean>;
  /**
   * When the user's grant for this client lapses (epoch ms; Infinity for never), the latest of
   * them if several stand; `null` when none stands. One indexed read, as {@link hasUserGrant}: the
   * resolver keeps its answer in memory no longer than this.
   */
  userGrantLapse(userId: number, clientId: string): Promise<number | null>;
  /** Deletes rows expired at the clock's now (expired rows are never found anyway); returns how many. */
  purgeExpired(): Promise<number>;
}

/**
 * oidc-provider's storage (its `Adapter` interface) on our SQL store, SQLite or PostgreSQL.
 *
 * Ids are bearer values (codes, tokens, session cookies), so rows are keyed by their SHA-256 and
 * the payload is stored without `jti` (which is the id) — put back from the id on `find` — as access
 * tokens are (ASVS 7.2.1; RFC 6819 §5.1.4.1.3). Device flow user codes are stored as digests too.
 * Expiry is checked in the query: an expired row is not found even before the purge removes it.
 * Nothing is cached in memory, so every instance on the database sees every write at once.
 */
export function createSQLAdapterFactory(db: Kysely<Database>, dialect: Dialect, options: SQLAdapterOptions): SQLAdapterFactory {
  const tables = oauthServerDb(db);
  const now = options.now ?? (() => new Date());
  const box = new SecretBox(options.secretKeys, DEVICE_CODE_PURPOSE);
  const ended = options.onGrantsEnded ?? (() => {});
  const adapters = new Map<string, Adapter>();
  const factory = (name: string): Adapter => {
    let adapter = adapters.get(name);
    if (!adapter) {
      adapter = name === 'Client' ? new ClientAdapter(tables, dialect, now, ended) : new ArtifactAdapter(name, tables, dialect, now, box, ended);
      adapters.set(name, adapter);
    }
    return adapter;
  };
  const artifacts = tables.deleteFrom('oauth_server_artifacts');
  async function userGrantLapse(userId: number, clientId: string): Promise<number | null> {
    const rows = await tables
      .selectFrom('oauth_server_artifacts')
      .select('expires_at')
      .where('user_id', '=', userId)
      .where('model', '=', 'Grant')
      .where('client_id', '=', clientId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', toDbTime(dialect, now()))]))
      .execute();
    if (rows.length === 0) return null;
    return Math.max(...rows.map((row) => (row.expires_at === null ? Number.POSITIVE_INFINITY : fromDbTime(row.expires_at).getTime())));
  }
  // A constructor that returns an object yields that object: `new Adapter(name)` is `factory(name)`.
  const AdapterClass = function SQLAdapter(name: string) {
    return factory(name);
  } as unknown as AdapterConstructor;
  return Object.assign(factory, {
    Adapter: AdapterClass,
    async revokeUserGrants(userId: number): Promise<number> {
      const rows = await artifacts.where('user_id', '=', userId).returning(['model', 'user_id']).execute();
      ended(endedGrantOwners(rows));
      return rows.length;
    },
    async revokeUserClientGrants(userId: number, clientId: string): Promise<number> {
      const rows = await artifacts.where('user_id', '=', userId).where('client_id', '=', clientId).returning(['model', 'user_id']).execute();
      ended(endedGrantOwners(rows));
      return rows.length;
    },
    async listUserGrants(userId: number): Promise<UserGrant[]> {
      const rows = await tables
        .selectFrom('oauth_server_artifacts as a')
        .leftJoin('oauth_server_clients as c', 'c.client_id', 'a.client_id')
        .select(['a.client_id', 'a.payload', 'a.created_at', 'c.metadata'])
        .where('a.model', '=', 'Grant')
        .where('a.user_id', '=', userId)
        .where((eb) => eb.or([eb('a.expires_at', 'is', null), eb('a.expires_at', '>', toDbTime(dialect, now()))]))
        .orderBy('a.created_at')
        .execute();
      return rows.map((row) => {
        const grant = JSON.parse(row.payload) as { clientId?: string; openid?: { scope?: string }; resources?: Record<string, string> };
        const scopes = new Set<string>();
        for (const list of [grant.openid?.scope, ...Object.values(grant.resources ?? {})]) {
          for (const scope of (list ?? '').split(' ')) if (scope) scopes.add(scope);
        }
        const clientName = row.metadata === null ? null : (JSON.parse(row.metadata) as { client_name?: unknown }).client_name;
        return {
          clientId: row.client_id ?? grant.clientId ?? '',
          clientName: typeof clientName === 'string' ? clientName : null,
          scopes: [...scopes],
          createdAt: fromDbTime(row.created_at),
        };
      });
    },
    async hasUserGrant(userId: number, clientId: string): Promise<boolean> {
      return (await userGrantLapse(userId, clientId)) !== null;
    },
    userGrantLapse: (userId: number, clientId: string) => userGrantLapse(userId, clientId),
    purgeExpired: () => purgeExpiredArtifacts(db, dialect, now()),
  });
}

/**
 * Deletes the engine's rows expired at `now` (they are never found anyway) and returns how many:
 * `purge-expired` and the server's periodic purge call it.
 */
export async function purgeExpiredArtifacts(db: Kysely<Database>, dialect: Dialect, now: Date): Promise<number> {
  const result = await oauthServerDb(db).deleteFrom('oauth_server_artifacts').where('expires_at', '<=', toDbTime(dialect, now)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * A statement built and compiled once, run with new values each time: the engine runs several
 * per token request, and Kysely's building and compiling of each cost about as much as SQLite's
 * running it (docs/BENCHMARKS.md, row 12). `build` gets one distinct slot value per argument and
 * must use each where the argument goes; the returned function puts the arguments in their slots.
 * Any other value the statement holds (a model's name) stays as built.
 */
function prepared<Row>(arity: number, build: (...slots: never[]) => Compilable<Row>): (...args: unknown[]) => CompiledQuery<Row> {
  const slots = Array.from({ length: arity }, (_, i) => `\u0000slot${i}`);
  const compiled = build(...(slots as never[])).compile();
  const positions = compiled.parameters.map((parameter) => slots.indexOf(parameter as string));
  return (...args) => ({ ...compiled, parameters: positions.map((at, i) => (at === -1 ? compiled.parameters[i] : args[at])) });
}

/** Every model but `Client`: `oauth_server_artifacts`, one row per id. */
class ArtifactAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly db: OAuthServerDb,
    private readonly dialect: Dialect,
    private readonly now: () => Date,
    private readonly box: SecretBox,
    private readonly ended: GrantsEndedListener,
  ) {
    this.findQuery = prepared(2, (at: string, idDigest: string) => this.live(at).where('id_digest', '=', idDigest));
    this.consumeQuery = prepared(2, (at: string, idDigest: string) =>
      this.db
        .updateTable('oauth_server_artifacts')
        .set({ consumed_at: at })
        .where('model', '=', this.model)
        .where('id_digest', '=', idDigest)
        .where('consumed_at', 'is', null),
    );
    this.upsertQuery = prepared(12, (...slots: string[]) => {
      const [model, idDigest, payload, grantId, clientId, owner, uid, userCodeDigest, sealedId, expiresAt, consumedAt, createdAt] = slots as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      return this.db
        .insertInto('oauth_server_artifacts')
        .values({
          model,
          id_digest: idDigest,
          payload,
          grant_id: grantId,
          client_id: clientId,
          // An owner deleted meanwhile owns nothing: the row stays unowned rather than failing the foreign key.
          user_id: sql<number | null>`(select id from users where id = ${owner})`,
          uid,
          user_code_digest: userCodeDigest,
          sealed_id: sealedId,
          expires_at: expiresAt,
          consumed_at: consumedAt,
          created_at: createdAt,
        })
        .onConflict((oc) =>
          oc.columns(['model', 'id_digest']).doUpdateSet({
            payload: sql`excluded.payload`,
            grant_id: sql`excluded.grant_id`,
            client_id: sql`excluded.client_id`,
            user_id: sql`excluded.user_id`,
            uid: sql`excluded.uid`,
            // A device code saved again after being found by its id (not its user code) keeps its user code.
            user_code_digest: sql`coalesce(excluded.user_code_digest, oauth_server_artifacts.user_code_digest)`,
            sealed_id: sql`coalesce(excluded.sealed_id, oauth_server_artifacts.sealed_id)`,
            expires_at: sql`excluded.expires_at`,
            // Once spent, always spent: a copy loaded before `consume` and saved after cannot revive it.
            consumed_at: sql`coalesce(oauth_server_artifacts.consumed_at, excluded.consumed_at)`,
          }),
        );
    });
  }

  /** The hot statements of a token request, compiled once (see {@link prepared}). */
  private readonly findQuery: (at: DbTime, idDigest: string) => CompiledQuery<Selectable<OAuthServerArtifactsTable>>;
  private readonly consumeQuery: (at: DbTime, idDigest: string) => CompiledQuery<unknown>;
  private readonly upsertQuery: (...values: unknown[]) => CompiledQuery<unknown>;

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { jti: _jti, userCode, consumed, ...rest } = payload;
    const stored: Record<string, unknown> = rest;
    // An interaction names the provider session by its cookie value, a bearer secret the engine
    // itself never reads back: it is not kept.
    const session = rest.session as { cookie?: unknown } | undefined;
    if (session?.cookie !== undefined) {
      const { cookie: _cookie, ...kept } = session;
      stored.session = kept;
    }
    const at = this.now();
    const idDigest = digestToken(id);
    const createdAt = toDbTime(this.dialect, at);
    await this.db.executeQuery(
      this.upsertQuery(
        this.model,
        idDigest,
        JSON.stringify(stored),
        GRANT_BOUND.has(this.model) && typeof payload.grantId === 'string' ? payload.grantId : null,
        clientOf(payload),
        ownerOf(payload),
        typeof payload.uid === 'string' ? payload.uid : null,
        typeof userCode === 'string' ? digestToken(userCode) : null,
        typeof userCode === 'string' ? this.box.seal(Buffer.from(id), this.context(idDigest)) : null,
        typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? toDbTime(this.dialect, new Date(at.getTime() + expiresIn * 1000)) : null,
        consumed ? createdAt : null,
        createdAt,
      ),
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (typeof id !== 'string') return undefined;
    const [row] = (await this.db.executeQuery(this.findQuery(toDbTime(this.dialect, this.now()), digestToken(id)))).rows;
    return row ? { ...this.payloadOf(row), jti: id } : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (typeof userCode !== 'string') return undefined;
    const row = await this.live().where('user_code_digest', '=', digestToken(userCode)).executeTakeFirst();
    if (!row?.sealed_id) return undefined;
    // The id is needed to save the user's decision under it; without it (SECRET_KEY changed since)
    // the code cannot be approved, so it is not found.
    const opened = this.box.open(row.sealed_id, this.context(row.id_digest));
    if (!opened) return undefined;
    return { ...this.payloadOf(row), jti: opened.plaintext.toString(), userCode };
  }

  /** A session by its `uid`. Its id (the cookie value) cannot be given back: the engine only reads such a session. */
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (typeof uid !== 'string') return undefined;
    const row = await this.live().where('uid', '=', uid).executeTakeFirst();
    return row ? this.payloadOf(row) : undefined;
  }

  async consume(id: string): Promise<void> {
    await this.db.executeQuery(this.consumeQuery(toDbTime(this.dialect, this.now()), digestToken(id)));
  }

  async destroy(id: string): Promise<void> {
    const rows = await this.db
      .deleteFrom('oauth_server_artifacts')
      .where('model', '=', this.model)
      .where('id_digest', '=', digestToken(id))
      .returning(['model', 'user_id'])
      .execute();
    // The engine destroys a grant when a refresh token is presented twice (RFC 9700 §4.14.2).
    this.ended(endedGrantOwners(rows));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every grant-bound model at once, whichever model's adapter is asked (the engine asks each).
    await this.db.deleteFrom('oauth_server_artifacts').where('grant_id', '=', grantId).execute();
  }

  /** This model's rows not expired at `at` (now by default). */
  private live(at: DbTime = toDbTime(this.dialect, this.now())) {
    return this.db
      .selectFrom('oauth_server_artifacts')
      .selectAll()
      .where('model', '=', this.model)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
  }

  private payloadOf(row: Selectable<OAuthServerArtifactsTable>): AdapterPayload {
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(fromDbTime(row.consumed_at).getTime() / 1000);
    return payload;
  }

  /** Bound to the sealed id (authenticated data): a sealed id copied onto another row does not open. */
  private context(idDigest: string): string {
    return `${this.model}:${idDigest}`;
  }
}

/**
 * Clients: `oauth_server_clients`, the rows client-store.ts writes for the admin API, and those the
 * engine registers itself (RFC 7591 dynamic registration) — their secret stored as its digest.
 */
class ClientAdapter implements Adapter {
  constructor(
    private readonly db: OAuthServerDb,
    private readonly dialect: Dialect,
    private readonly now: () => Date,
    private readonly ended: GrantsEndedListener,
  ) {
    this.findQuery = prepared(1, (id: string) => this.db.selectFrom('oauth_server_clients').selectAll().where('client_id', '=', id));
  }

  /** Read on every token request (see {@link prepared}). */
  private readonly findQuery: (id: string) => CompiledQuery<Selectable<OAuthServerClientsTable>>;

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const metadata: Record<string, unknown> = { ...payload, client_id: id };
    delete metadata.first_party;
    if (typeof metadata.client_secret === 'string') metadata.client_secret = digestToken(metadata.client_secret);
    const json = JSON.stringify(metadata);
    await this.db
      .insertInto('oauth_server_clients')
      .values({ client_id: id, metadata: json, first_party: this.dialect === 'postgres' ? false : 0, created_at: toDbTime(this.dialect, this.now()) })
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ metadata: json }))
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (typeof id !== 'string') return undefined;
    const [row] = (await this.db.executeQuery(this.findQuery(id))).rows;
    if (!row) return undefined;
    return { ...(JSON.parse(row.metadata) as AdapterPayload), client_id: row.client_id, first_party: row.first_party === true || row.first_party === 1 };
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(id: string): Promise<void> {
    await deleteClient(this.db, id, this.ended);
  }

  async revokeByGrantId(): Promise<void> {}
}

/**
 * Deletes a client and everything issued to it (its tokens die with it); true when it existed.
 * `ended` hears of the users whose grants went with it.
 */
export async function deleteClient(db: OAuthServerDb, clientId: string, ended: GrantsEndedListener = () => {}): Promise<boolean> {
  const { existed, owners } = await db.transaction().execute(async (trx) => {
    const rows = await trx.deleteFrom('oauth_server_artifacts').where('client_id', '=', clientId).returning(['model', 'user_id']).execute();
    const result = await trx.deleteFrom('oauth_server_clients').where('client_id', '=', clientId).executeTakeFirst();
    return { existed: result.numDeletedRows > 0n, owners: endedGrantOwners(rows) };
  });
  ended(owners);
  return existed;
}
