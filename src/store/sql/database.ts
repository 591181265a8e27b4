import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { importOptional } from '../../optional-packages.js';
import type { Database, Dialect } from './schema.js';
import { loadedSqlite, loadSqlite } from './sqlite-driver.js';

/**
 * A read-only second connection to a SQLite file, for the hot lookups that run on every
 * request. In WAL mode it reads the last committed state without waiting for, or seeing into,
 * a transaction open on the main connection.
 */
export function openSqliteReader(path: string): BetterSqlite3.Database {
  const Sqlite = loadedSqlite();
  const reader = new Sqlite(path, { fileMustExist: true });
  reader.pragma('query_only = ON');
  reader.pragma('busy_timeout = 5000');
  reader.pragma(`cache_size = -${SQLITE_READER_CACHE_KIB}`);
  return reader;
}

/**
 * Page cache of the read connection, in KiB (SQLite's default is 2 MiB). Each active session
 * touches about three pages (token index, token row, user row); 2 MiB held the pages of some 150
 * sessions, so a database with more active users read most lookups from the OS with a syscall
 * each. 32 MiB keeps about 2,500 sessions' pages in the process (docs/BENCHMARKS.md, row 5).
 */
export const SQLITE_READER_CACHE_KIB = 32 * 1024;

/** Prepared statements kept per SQLite connection: every query this code builds, with room to spare. */
export const SQLITE_STATEMENT_CACHE_SIZE = 256;

/**
 * The connection as Kysely sees it, keeping each prepared statement for reuse: Kysely's driver
 * prepares every query anew, which parsing and planning made a tenth of a login's time on the
 * event loop (docs/BENCHMARKS.md, row 3). Least recently used statements beyond `capacity` are
 * dropped. Reuse is safe because the driver runs a statement to completion (`all`/`run`) before
 * the next query; nothing here streams rows with `iterate`, which would hold a statement busy.
 */
export function cachingStatements(sqlite: BetterSqlite3.Database, capacity = SQLITE_STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // re-inserted below: Map order is the recency order
      } else {
        statement = sqlite.prepare(sql) as unknown as SqliteStatement;
        if (statements.size >= capacity) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

/** Mode of a directory the database creates: its owner only. */
export const SQLITE_DIRECTORY_MODE = 0o700;
/** Mode of the database file; SQLite gives its `-wal` and `-shm` files the same one. */
export const SQLITE_FILE_MODE = 0o600;

/**
 * Creates the database file, and any missing directory above it, readable by the service's
 * user only: the file holds password hashes, emails and session addresses, and SQLite would
 * create it 0644 (OWASP Password Storage CS; ASVS 5.0 V13.3). SQLite copies the database
 * file's mode to the `-wal` and `-shm` files it creates beside it. An existing file that others
 * can read is narrowed to 0600; an existing directory is left as it is (it may be shared, such
 * as the working directory).
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: SQLITE_DIRECTORY_MODE });
  // 'a' creates the file if needed and never truncates; the mode applies only when it is created.
  closeSync(openSync(path, 'a', SQLITE_FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const mode = statSync(file, { throwIfNoEntry: false })?.mode;
    if (mode === undefined || (mode & 0o077) === 0) continue;
    try {
      chmodSync(file, SQLITE_FILE_MODE);
    } catch {
      // Another user's file that we may write: its owner chose the layout; SQLite still opens it.
    }
  }
}

/** Connections in the PostgreSQL pool per process; bounded so N instances stay under max_connections. */
export const DEFAULT_PG_POOL_SIZE = 10;

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, when there is one (not `:memory:`): a second connection may read it. */
  sqlitePath?: string;
}

/**
 * Refuses a database URL this module cannot open, with a {@link ConfigError} naming `databaseUrl`,
 * without opening anything: options are checked before any file is created.
 */
export function checkDatabaseUrl(url: string): void {
  if (typeof url !== 'string') throw new ConfigError('databaseUrl', 'must be a string');
  if (url.startsWith('sqlite:')) {
    if (url === 'sqlite:') throw new ConfigError('databaseUrl', 'sqlite: needs a path or :memory:');
    return;
  }
  if (!url.startsWith('postgres://') && !url.startsWith('postgresql://')) {
    throw new ConfigError('databaseUrl', 'must start with sqlite:, postgres:// or postgresql://');
  }
}

/**
 * Opens `sqlite:<path>`, `sqlite::memory:` or `postgres(ql)://…` as a Kysely instance.
 * SQLite runs in WAL mode with foreign keys on (for the cascade from users to tokens).
 */
export async function openDatabase(url: string, options: { poolSize?: number } = {}): Promise<OpenDatabase> {
  checkDatabaseUrl(url);
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    // Loaded before the file is created, so a missing driver leaves nothing behind.
    const Sqlite = await loadSqlite('databaseUrl');
    if (path !== ':memory:') createPrivateFile(path);
    const sqlite = new Sqlite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL'); // durable with WAL except on power loss mid-checkpoint
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    return {
      db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) }),
      dialect: 'sqlite',
      sqlitePath: path === ':memory:' ? undefined : path,
    };
  }
  // postgres:// or postgresql:// (checked above).
  // Loaded only when PostgreSQL is used: start-up on SQLite does not pay for parsing `pg`, and
  // an install for SQLite does not need it (an optional peer dependency).
  const { Pool } = (await importOptional('pg', 'databaseUrl', 'postgres://', () => import('pg'))).default;
  const pool = new Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_PG_POOL_SIZE,
    // A request waits at most this long for a connection before answering 503 (pool exhausted
    // or database unreachable), rather than queueing without bound.
    connectionTimeoutMillis: 5000,
    // TCP keep-alive notices a silently dead server (failover, network partition), and the
    // client-side query timeout stops a request hanging on a connection that never answers.
    keepAlive: true,
    query_timeout: 30_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that
  // would crash the process. The next query fails and the route answers 503 instead.
  pool.on('error', () => {});
  // The pool listens only while a client is idle. A client a request holds (inside a
  // transaction, between two queries) that loses its server emits 'error' with no listener,
  // which would crash the process; with this one the request's next query fails (503) and the
  // pool drops the broken client when it comes back.
  pool.on('connect', (client) => client.on('error', () => {}));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}
