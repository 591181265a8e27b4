import type BetterSqlite3 from 'better-sqlite3';
import { sql, type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { User } from '../../core/user.js';
import type { AccessTokenRecord, ActionPurpose, ActionTokenRecord, NewAccessToken, NewUser, Store, UserPatch } from '../../core/store.js';
import { migrateToLatest } from './migrations.js';
import { openDatabase, openSqliteReader } from './database.js';
import type { SessionChannel } from '../session-channel.js';
import { PgSessionListener } from './pg-session-listener.js';
import { SESSION_LOG_RETENTION_MS, SQLiteSessionWatch } from './sqlite-session-watch.js';
import { fromDbTime } from './time.js';
import { SQLPasskeyStore } from '../../features/passkeys/sql-passkey-store.js';
import { SQLSecondFactorStore } from '../../features/totp/sql-second-factor-store.js';
import { SQLOAuthAccountStore } from '../../features/oauth-client/sql-oauth-account-store.js';
import { SQLOrganizationStore } from '../../features/organizations/sql-organization-store.js';
import { SQLApiKeyStore } from '../../features/api-keys/sql-api-key-store.js';
import { SQLAuditStore } from '../../features/audit/sql-audit-store.js';
import { SQLEmailSignInStore } from '../../features/email-sign-in/sql-email-sign-in-store.js';
import type { AccessTokensTable, ActionTokensTable, Database, DbBool, DbTime, Dialect, UsersTable } from './schema.js';

/**
 * The one SQL implementation of {@link Store}, for SQLite and PostgreSQL alike. Queries are
 * dialect-neutral Kysely; only values cross a converter (`time`, `bool`) at the edge.
 */
export class SQLStore implements Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly secondFactor: SQLSecondFactorStore;
  readonly passkeys: SQLPasskeyStore;
  readonly oauthAccounts: SQLOAuthAccountStore;
  /** Organizations, memberships and invitations (docs/organizations.md). */
  readonly organizations: SQLOrganizationStore;
  readonly apiKeys: SQLApiKeyStore;
  /** The audit log's hash chain (docs/audit.md); outside the `Store` interface, read by the plugin and the CLI. */
  readonly audit: SQLAuditStore;
  readonly emailSignIns: SQLEmailSignInStore;
  /** findSession runs on every authenticated request: compiled once, run with new parameters. */
  private readonly sessionQuery: CompiledQuery<SessionRow>;
  /**
   * The login's own two queries, compiled once too: on the login path building a Kysely query cost
   * more of the event loop's time than running it (it runs too rarely for V8 to optimise the
   * builder), and every millisecond there is taken from hashing (docs/BENCHMARKS.md, row 3).
   */
  private readonly userByEmailQuery: CompiledQuery<Selectable<UsersTable>>;
  private readonly userByIdQuery: CompiledQuery<Selectable<UsersTable>>;
  private readonly insertTokenQuery: CompiledQuery;
  /** On a SQLite file: its path, then a second, query-only connection and the lookup prepared on it once. */
  private readonly sqlitePath: string | undefined;
  private reader: BetterSqlite3.Database | undefined;
  private sessionStatement: BetterSqlite3.Statement<unknown[], unknown[]> | undefined;
  /** On PostgreSQL: where a dedicated connection may LISTEN for session changes. */
  private readonly postgresUrl: string | undefined;

  /**
   * `sqlitePath`: the file behind a SQLite `db`, enabling the prepared-statement fast path and the
   * change watch; `postgresUrl`: the database behind a PostgreSQL `db`, for LISTEN.
   */
  constructor(db: Kysely<Database>, dialect: Dialect, options: { sqlitePath?: string; postgresUrl?: string } = {}) {
    this.db = db;
    this.dialect = dialect;
    this.secondFactor = new SQLSecondFactorStore(db, dialect);
    this.passkeys = new SQLPasskeyStore(db, dialect);
    this.oauthAccounts = new SQLOAuthAccountStore(db, dialect, (date) => this.time(date));
    this.organizations = new SQLOrganizationStore(db, dialect);
    this.apiKeys = new SQLApiKeyStore(db, dialect);
    this.audit = new SQLAuditStore(db, dialect);
    this.emailSignIns = new SQLEmailSignInStore(db, dialect);
    this.sessionQuery = this.sessionSelect('', this.time(new Date(0))).compile();
    this.userByEmailQuery = db.selectFrom('users').selectAll().where('email', '=', '').compile();
    // Read on every token request of our OAuth provider (its findAccount) and by many routes.
    this.userByIdQuery = db.selectFrom('users').selectAll().where('id', '=', 0).compile();
    const epoch = new Date(0);
    this.insertTokenQuery = db
      .insertInto('access_tokens')
      .values(this.tokenRow({ digest: '', userId: 0, expiresAt: epoch, createdAt: epoch, lastUsedAt: epoch, userAgent: '', ip: '' }))
      .compile();
    this.sqlitePath = dialect === 'sqlite' ? options.sqlitePath : undefined;
    this.postgresUrl = dialect === 'postgres' ? options.postgresUrl : undefined;
  }

  /** Opens a database URL and migrates it to the latest schema. */
  static async open(url: string, options: { poolSize?: number; migrate?: boolean } = {}): Promise<SQLStore> {
    const { db, dialect, sqlitePath } = await openDatabase(url, options);
    if (options.migrate !== false) {
      try {
        await migrateToLatest(db, dialect);
      } catch (error) {
        await db.destroy();
        throw error;
      }
    }
    return new SQLStore(db, dialect, { sqlitePath, postgresUrl: dialect === 'postgres' ? url : undefined });
  }

  /**
   * How this database tells an instance of session changes made by others (docs/session-cache.md):
   * LISTEN on PostgreSQL, the change counter on a SQLite file, `'local'` for `sqlite::memory:`
   * (no other connection can see it), `null` when it cannot (a PostgreSQL store built without its URL).
   */
  sessionChannel(): SessionChannel | 'local' | null {
    if (this.dialect === 'postgres') return this.postgresUrl === undefined ? null : new PgSessionListener(this.postgresUrl);
    return this.sqlitePath === undefined ? 'local' : new SQLiteSessionWatch(this.sqlitePath);
  }

  private time(date: Date): DbTime {
    return this.dialect === 'sqlite' ? date.toISOString() : date;
  }

  private bool(value: boolean): DbBool {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  async createUser(user: NewUser, now: Date): Promise<User | null> {
    const row = await this.db
      .insertInto('users')
      .values({
        email: user.email,
        hashed_password: user.hashedPassword,
        is_active: this.bool(user.isActive ?? true),
        is_superuser: this.bool(user.isSuperuser ?? false),
        is_verified: this.bool(user.isVerified ?? false),
        created_at: this.time(now),
        updated_at: this.time(now),
      })
      // The unique index decides races between concurrent registrations; the loser gets null.
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async findUserById(id: number): Promise<User | null> {
    const row = (await this.db.executeQuery<Selectable<UsersTable>>({ ...this.userByIdQuery, parameters: [id] })).rows[0];
    return row ? toUser(row) : null;
  }

  async findUserByEmail(email: string): Promise<User | null> {
    const row = (await this.db.executeQuery<Selectable<UsersTable>>({ ...this.userByEmailQuery, parameters: [email] })).rows[0];
    return row ? toUser(row) : null;
  }

  async updateUser(id: number, patch: UserPatch, now: Date): Promise<User | null | 'email-taken'> {
    const values: Partial<Record<keyof UsersTable, unknown>> = { updated_at: this.time(now) };
    if (patch.email !== undefined) values.email = patch.email;
    if (patch.hashedPassword !== undefined) values.hashed_password = patch.hashedPassword;
    if (patch.isActive !== undefined) values.is_active = this.bool(patch.isActive);
    if (patch.isSuperuser !== undefined) values.is_superuser = this.bool(patch.isSuperuser);
    if (patch.isVerified !== undefined) values.is_verified = this.bool(patch.isVerified);
    try {
      const row = await this.db
        .updateTable('users')
        .set(values as never)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? toUser(row) : null;
    } catch (error) {
      if (isUniqueViolation(error)) return 'email-taken';
      throw error;
    }
  }

  async replacePasswordHash(id: number, expected: string, replacement: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ hashed_password: replacement, updated_at: this.time(now) })
      .where('id', '=', id)
      .where('hashed_password', '=', expected)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteUser(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listUsers(offset: number, limit: number): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('id').offset(offset).limit(limit).execute();
    return rows.map(toUser);
  }

  async createToken(record: NewAccessToken): Promise<void> {
    // The compiled statement's placeholders follow the row's keys, so the values come from the same function.
    await this.db.executeQuery({ ...this.insertTokenQuery, parameters: Object.values(this.tokenRow(record)) });
  }

  /** An access token as its table's row. */
  private tokenRow(record: NewAccessToken) {
    return {
      token: record.digest,
      user_id: record.userId,
      expiration_date: this.time(record.expiresAt),
      created_at: this.time(record.createdAt),
      last_used_at: this.time(record.lastUsedAt),
      user_agent: record.userAgent,
      ip: record.ip,
      authenticated_at: this.time(record.authenticatedAt ?? record.createdAt),
      amr: record.amr && record.amr.length > 0 ? record.amr.join(' ') : null,
      impersonator_id: record.impersonatorId ?? null,
    };
  }

  /** The session lookup as a query builder; its parameters are, in order, the digest and now. */
  private sessionSelect(digest: string, now: DbTime) {
    return this.db
      .selectFrom('access_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select(SESSION_COLUMNS)
      .where('t.token', '=', digest)
      .where('t.expiration_date', '>', now);
  }

  async findSession(digest: string, now: Date): Promise<{ token: AccessTokenRecord; user: User } | null> {
    // Prepared on first use (not in the constructor): the tables exist only after migrating.
    if (this.sessionStatement === undefined && this.sqlitePath !== undefined) {
      this.reader = openSqliteReader(this.sqlitePath);
      // Raw rows (arrays): better-sqlite3 builds a keyed object per row far more slowly than JS does.
      this.sessionStatement = this.reader.prepare<unknown[], unknown[]>(this.sessionQuery.sql).raw(true);
    }
    if (this.sessionStatement) {
      const values = this.sessionStatement.get(digest, this.time(now));
      return values ? sessionFromValues(values) : null;
    }
    const row = (await this.db.executeQuery<SessionRow>({ ...this.sessionQuery, parameters: [digest, this.time(now)] })).rows[0];
    if (!row) return null;
    return {
      token: toToken({ ...row, created_at: row.token_created_at }),
      user: toUser(row),
    };
  }

  async touchToken(digest: string, now: Date): Promise<void> {
    await this.db
      .updateTable('access_tokens')
      .set({ last_used_at: this.time(now) })
      .where('token', '=', digest)
      .execute();
  }

  async reauthenticateToken(digest: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('access_tokens')
      .set({ authenticated_at: this.time(now) })
      .where('token', '=', digest)
      .where('expiration_date', '>', this.time(now))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteToken(digest: string): Promise<boolean> {
    const result = await this.db.deleteFrom('access_tokens').where('token', '=', digest).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteUserTokens(userId: number, keepDigest?: string): Promise<number> {
    let query = this.db.deleteFrom('access_tokens').where('user_id', '=', userId);
    if (keepDigest !== undefined) query = query.where('token', '!=', keepDigest);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listUserTokens(userId: number, now: Date): Promise<AccessTokenRecord[]> {
    const rows = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expiration_date', '>', this.time(now))
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toToken);
  }

  async deleteExpiredTokens(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('access_tokens').where('expiration_date', '<=', this.time(now)).executeTakeFirst();
    if (this.dialect === 'sqlite') {
      // The change log only needs to outlive a watcher's poll (sqlite-session-watch.ts). Aged by
      // SQLite's clock, which wrote the rows, not by `now` (a test's clock may run ahead).
      const age = `-${Math.round(SESSION_LOG_RETENTION_MS / 1000)} seconds`;
      await sql`delete from session_invalidations where created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${age})`.execute(this.db);
    }
    return Number(result.numDeletedRows);
  }

  async createActionToken(record: ActionTokenRecord): Promise<void> {
    await this.db
      .insertInto('action_tokens')
      .values({
        token: record.digest,
        purpose: record.purpose,
        user_id: record.userId,
        email: record.email,
        password_fingerprint: record.passwordFingerprint,
        expiration_date: this.time(record.expiresAt),
        created_at: this.time(record.createdAt),
      })
      .execute();
  }

  async findActionToken(digest: string, purpose: ActionPurpose): Promise<ActionTokenRecord | null> {
    const row = await this.db.selectFrom('action_tokens').selectAll().where('token', '=', digest).where('purpose', '=', purpose).executeTakeFirst();
    return row ? toActionToken(row) : null;
  }

  async consumeActionToken(digest: string, purpose: ActionPurpose): Promise<ActionTokenRecord | null> {
    // One statement on both dialects (SQLite ≥ 3.35 and PostgreSQL support RETURNING): the row
    // lock / write lock lets exactly one of two concurrent consumers see the deleted row.
    const row = await this.db.deleteFrom('action_tokens').where('token', '=', digest).where('purpose', '=', purpose).returningAll().executeTakeFirst();
    return row ? toActionToken(row) : null;
  }

  async deleteUserActionTokens(userId: number, purpose?: ActionPurpose): Promise<number> {
    let query = this.db.deleteFrom('action_tokens').where('user_id', '=', userId);
    if (purpose !== undefined) query = query.where('purpose', '=', purpose);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpiredActionTokens(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('action_tokens').where('expiration_date', '<=', this.time(now)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    this.reader?.close();
    this.reader = undefined;
    this.sessionStatement = undefined;
    await this.db.destroy();
  }
}

/** The session lookup's columns, in this order: {@link sessionFromValues} reads them by position. */
const SESSION_COLUMNS = [
  't.token',
  't.user_id',
  't.expiration_date',
  't.created_at as token_created_at',
  't.last_used_at',
  't.user_agent',
  't.ip',
  't.authenticated_at',
  't.amr',
  't.impersonator_id',
  'u.id',
  'u.email',
  'u.hashed_password',
  'u.is_active',
  'u.is_superuser',
  'u.is_verified',
  'u.created_at',
  'u.updated_at',
] as const;

/** The same conversion as {@link toToken} and {@link toUser}, from a raw row of {@link SESSION_COLUMNS}. */
function sessionFromValues(v: unknown[]): { token: AccessTokenRecord; user: User } {
  return {
    token: {
      digest: v[0] as string,
      userId: Number(v[1]),
      expiresAt: fromDbTime(v[2] as string),
      createdAt: fromDbTime(v[3] as string),
      lastUsedAt: fromDbTime(v[4] as string),
      userAgent: v[5] as string | null,
      ip: v[6] as string | null,
      authenticatedAt: fromDbTime((v[7] ?? v[3]) as string),
      amr: amrOf(v[8] as string | null),
      ...(v[9] === null || v[9] === undefined ? {} : { impersonatorId: Number(v[9]) }),
    },
    user: {
      id: Number(v[10]),
      email: v[11] as string,
      hashedPassword: v[12] as string,
      isActive: Boolean(v[13]),
      isSuperuser: Boolean(v[14]),
      isVerified: Boolean(v[15]),
      createdAt: fromDbTime(v[16] as string),
      updatedAt: fromDbTime(v[17] as string),
    },
  };
}

/** One row of the session lookup: the token's columns and its user's. */
type SessionRow = Selectable<UsersTable> & Omit<Selectable<AccessTokensTable>, 'created_at'> & { token_created_at: DbTime };

/** A `users` row as the domain's user (booleans and times converted from the dialect). */
export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: Number(row.id),
    email: row.email,
    hashedPassword: row.hashed_password,
    isActive: Boolean(row.is_active),
    isSuperuser: Boolean(row.is_superuser),
    isVerified: Boolean(row.is_verified),
    createdAt: fromDbTime(row.created_at),
    updatedAt: fromDbTime(row.updated_at),
  };
}

function toToken(row: Selectable<AccessTokensTable>): AccessTokenRecord {
  return {
    digest: row.token,
    userId: Number(row.user_id),
    expiresAt: fromDbTime(row.expiration_date),
    createdAt: fromDbTime(row.created_at),
    lastUsedAt: fromDbTime(row.last_used_at),
    userAgent: row.user_agent,
    ip: row.ip,
    authenticatedAt: fromDbTime(row.authenticated_at ?? row.created_at),
    amr: amrOf(row.amr),
    ...(row.impersonator_id === null || row.impersonator_id === undefined ? {} : { impersonatorId: Number(row.impersonator_id) }),
  };
}

/** The stored, space-separated method list as RFC 8176 values. */
function amrOf(stored: string | null): string[] | null {
  return stored ? stored.split(' ') : null;
}

function toActionToken(row: Selectable<ActionTokensTable>): ActionTokenRecord {
  return {
    digest: row.token,
    purpose: row.purpose === 'reset' ? 'reset' : 'verify',
    userId: Number(row.user_id),
    email: row.email,
    passwordFingerprint: row.password_fingerprint,
    expiresAt: fromDbTime(row.expiration_date),
    createdAt: fromDbTime(row.created_at),
  };
}

/** SQLite's and PostgreSQL's ways of saying "unique constraint violated". */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
