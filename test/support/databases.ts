/**
 * Databases of a test's own: a PostgreSQL database created for one test file (other files and
 * other engineers share the server, so names never collide) and the list of databases the HTTP
 * suites loop over.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { postgres } from './services.js';
import { sqliteURL, tempDir } from './temp.js';

/** A PostgreSQL database made for one test run, and how to drop it. */
export interface FreshDatabase {
  name: string;
  url: string;
  /** An admin connection on the server's `test` database (for ALTER/terminate in tests). */
  admin: pg.Client;
  drop: () => Promise<void>;
}

/**
 * Creates a database with a random name through `adminUrl`, returns its URL, and drops it
 * (forcibly: a test may leave connections) on `drop()`.
 */
export async function freshDatabase(adminUrl: string, label = 'store'): Promise<FreshDatabase> {
  const name = `fu_${label}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    admin,
    drop: async () => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A database the HTTP suites run on: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** `false` to run, or why the suite is skipped. */
  skip: string | false;
  /** Environment for `buildTestServer` (a fresh database per call), and its cleanup. */
  create: () => Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;
}

/** SQLite (a temp file per server) and, when available, PostgreSQL (a fresh database, dropped after). */
export function testDatabases(): TestDatabase[] {
  const pgService = postgres();
  return [
    { name: 'sqlite', skip: false, create: async () => ({ env: {}, drop: async () => {} }) },
    {
      name: 'postgres',
      skip: pgService.skip,
      create: async () => {
        const database = await freshDatabase(pgService.value!, 'http');
        return { env: { DATABASE_URL: database.url }, drop: database.drop };
      },
    },
  ];
}

/** A migrated store on a database of its own, and how to close it and delete that database. */
export interface TestStore {
  store: SQLStore;
  cleanup: () => Promise<void>;
}

/** A store on a new SQLite file in a temp folder. */
export async function sqliteStore(): Promise<TestStore> {
  const dir = tempDir();
  const store = await SQLStore.open(sqliteURL(dir));
  return {
    store,
    cleanup: async () => {
      await store.close();
      dir.cleanup();
    },
  };
}

/** A store on a fresh PostgreSQL database ({@link freshDatabase}), dropped by `cleanup()`. */
export async function postgresStore(adminUrl: string, label = 'store'): Promise<TestStore> {
  const database = await freshDatabase(adminUrl, label);
  const store = await SQLStore.open(database.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
}
