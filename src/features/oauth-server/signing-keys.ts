import { createHash, generateKeyPair, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { ConfigError } from '../../core/errors.js';
import { SecretBox } from '../../core/secret-box.js';
import type { Database, Dialect } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import { type OAuthServerDb, oauthServerDb } from './sql-adapter.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** The signing algorithm of every key: RS256, the one every OpenID Connect client must support (OIDC Core §15.1). */
export const SIGNING_ALG = 'RS256';
/** NIST SP 800-57 Part 1 Rev. 5 Table 2: 2048-bit RSA is acceptable through 2030. */
const MODULUS_BITS = 2048;
/** The purpose label of the sealing key (HKDF `info`, see core/secret-box.ts): never the TOTP one. */
const PURPOSE = 'oauth-server-signing-key';
/** The members of a JWK that are private (RFC 7518 §6.3.2, §6.4): never published. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** A signing key as a JWK (RFC 7517), with `kid`, `alg` and `use`. */
export interface SigningJWK extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

/** A JWK Set (RFC 7517 §5). */
export interface JWKS {
  keys: SigningJWK[];
}

/** A stored key as the CLI lists it (no key material). */
export interface SigningKeyInfo {
  kid: string;
  createdAt: Date;
  /** When it stopped signing (`keys rotate`); `null` for the current key. */
  retiredAt: Date | null;
}

export interface SigningKeyOptions {
  /** `SECRET_KEY` first (it seals), then `SECRET_KEY_FALLBACKS` (they open only); empty to list and prune only. */
  secretKeys: readonly string[];
  /** The clock; default the system's. */
  now?: () => Date;
}

/**
 * The provider's signing keys (docs/oauth-server.md, "Storage and keys"): created at first start,
 * kept in `oauth_server_keys` with the private JWK sealed under `SECRET_KEY` (AES-256-GCM, as TOTP
 * secrets are), so that every instance on the database signs with the same keys. One key is
 * current (it signs); `rotate()` retires it — a retired key is still published, so tokens it
 * signed keep verifying — and `prune()` deletes the retired ones.
 */
export class SigningKeys {
  private readonly db: OAuthServerDb;
  /** `null` without a SECRET_KEY: keys can then be listed and pruned, not opened or made. */
  private readonly box: SecretBox | null;
  private readonly now: () => Date;

  constructor(
    db: Kysely<Database>,
    private readonly dialect: Dialect,
    options: SigningKeyOptions,
  ) {
    this.db = oauthServerDb(db);
    this.box = options.secretKeys.length > 0 ? new SecretBox(options.secretKeys, PURPOSE) : null;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Every key, private members included, the current one first (the engine signs with the first
   * key of an algorithm) and then the retired ones, newest first. Creates the first key when there
   * is none; instances starting together create one between them. Throws a {@link ConfigError}
   * naming `secretKey` when a stored key does not open with the configured keys.
   */
  async load(): Promise<JWKS> {
    if ((await this.list()).every((key) => key.retiredAt !== null)) await this.createFirst();
    return this.openAll();
  }

  /** The stored keys, current first, without key material. */
  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.db
      .selectFrom('oauth_server_keys')
      .select(['kid', 'created_at', 'retired_at'])
      .orderBy(sql`case when retired_at is null then 0 else 1 end`)
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
    return rows.map((row) => ({ kid: row.kid, createdAt: fromDbTime(row.created_at), retiredAt: row.retired_at === null ? null : fromDbTime(row.retired_at) }));
  }

  /**
   * Adds a new current key and retires the previous one (it stays published until `prune()`).
   * Every stored key is opened first: a wrong `SECRET_KEY` fails here rather than sealing the new
   * key under a key the servers do not have. Returns the new key's `kid`.
   */
  async rotate(): Promise<string> {
    await this.openAll();
    const key = await newSigningKey();
    const at = toDbTime(this.dialect, this.now());
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('oauth_server_keys').set({ retired_at: at }).where('retired_at', 'is', null).execute();
      await trx
        .insertInto('oauth_server_keys')
        .values({ kid: key.kid, sealed_jwk: this.seal(key), created_at: at, retired_at: null })
        .execute();
    });
    return key.kid;
  }

  /** Deletes the retired keys (tokens they signed no longer verify); returns their `kid`s. */
  async prune(): Promise<string[]> {
    const rows = await this.db.deleteFrom('oauth_server_keys').where('retired_at', 'is not', null).returning('kid').execute();
    return rows.map((row) => row.kid).sort();
  }

  private async createFirst(): Promise<void> {
    const key = await newSigningKey();
    const row = { kid: key.kid, sealed_jwk: this.seal(key), created_at: toDbTime(this.dialect, this.now()), retired_at: null };
    if (this.dialect === 'sqlite') {
      // One statement, inserted only when no key is current: SQLite serialises writes, so of the
      // processes starting together on one file the first inserts and the others find its key.
      await sql`insert into oauth_server_keys (kid, sealed_jwk, created_at, retired_at)
        select ${row.kid}, ${row.sealed_jwk}, ${row.created_at}, null
        where not exists (select 1 from oauth_server_keys where retired_at is null)`.execute(this.db);
      return;
    }
    // PostgreSQL: a transaction-scoped advisory lock serialises the instances starting together
    // (READ COMMITTED alone would let each see no key and insert its own).
    await this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext('fastify-users oauth_server_keys'))`.execute(trx);
      const current = await trx.selectFrom('oauth_server_keys').select('kid').where('retired_at', 'is', null).executeTakeFirst();
      if (!current) await trx.insertInto('oauth_server_keys').values(row).execute();
    });
  }

  private async openAll(): Promise<JWKS> {
    const order = new Map((await this.list()).map((key, index) => [key.kid, index]));
    const rows = await this.db.selectFrom('oauth_server_keys').select(['kid', 'sealed_jwk']).execute();
    const keys: SigningJWK[] = [];
    for (const row of rows) {
      const opened = this.sealer().open(row.sealed_jwk, contextOf(row.kid));
      if (!opened) {
        throw new ConfigError(
          'secretKey',
          `does not open the stored OAuth server signing key ${row.kid}: SECRET_KEY is not the one that sealed it (put that one in SECRET_KEY_FALLBACKS)`,
        );
      }
      const key = JSON.parse(opened.plaintext.toString('utf8')) as SigningJWK;
      // Opened with a fallback: sealed again under the current SECRET_KEY, as TOTP secrets are.
      if (opened.stale)
        await this.db
          .updateTable('oauth_server_keys')
          .set({ sealed_jwk: this.seal(key) })
          .where('kid', '=', row.kid)
          .execute();
      keys.push(key);
    }
    keys.sort((a, b) => order.get(a.kid)! - order.get(b.kid)!);
    return { keys };
  }

  private seal(key: SigningJWK): string {
    return this.sealer().seal(Buffer.from(JSON.stringify(key)), contextOf(key.kid));
  }

  private sealer(): SecretBox {
    if (this.box === null) throw new ConfigError('secretKey', 'must be set: the OAuth server signing keys are sealed under it');
    return this.box;
  }
}

/** Bound to the row (authenticated data): a sealed key copied under another kid does not open. */
function contextOf(kid: string): string {
  return `oauth-server-key:${kid}`;
}

/** A new RSA key as a private JWK; its `kid` is its RFC 7638 thumbprint. */
async function newSigningKey(): Promise<SigningJWK> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: MODULUS_BITS });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg: SIGNING_ALG, use: 'sig' };
}

/** RFC 7638 §3: SHA-256 of the required public members in lexicographic order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  return createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest('base64url');
}

/** The same keys with their private members removed: what `jwks_uri` may publish. */
export function publicJwks(jwks: JWKS): JWKS {
  return {
    keys: jwks.keys.map((key) => {
      const copy: Record<string, unknown> = { ...key };
      for (const member of PRIVATE_MEMBERS) delete copy[member];
      return copy as SigningJWK;
    }),
  };
}

/** `SigningKeys#load()`: the keys for the engine (`jwks` option), created at first start. */
export async function loadSigningKeys(db: Kysely<Database>, dialect: Dialect, options: SigningKeyOptions): Promise<JWKS> {
  return new SigningKeys(db, dialect, options).load();
}

/** `SigningKeys#rotate()`: a new current key; the previous one stays published. */
export async function rotateSigningKey(db: Kysely<Database>, dialect: Dialect, options: SigningKeyOptions): Promise<string> {
  return new SigningKeys(db, dialect, options).rotate();
}

/** `SigningKeys#prune()`: the retired keys deleted. */
export async function pruneSigningKeys(db: Kysely<Database>, dialect: Dialect, options: SigningKeyOptions): Promise<string[]> {
  return new SigningKeys(db, dialect, options).prune();
}
