/**
 * Databases of a test's own: a PostgreSQL database created for one test file (other files and
 * other engineers share the server, so names never collide) and the list of databases the HTTP
 * suites loop over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { ROOT } from './constants.js';
import { migratedSqliteURL } from './migrated-sqlite.js';
import { postgres } from './services.js';
import { tempDir } from './temp.js';

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
 * (forcibly: a test may leave connections) on `drop()`. Empty, unless `migrated`: then a copy of
 * a database our migrations already ran on ({@link migratedTemplate}), for the many tests whose
 * subject is not migrating — running the twelve migrations costs a second or two of PostgreSQL's
 * and Kysely's time per database, copying the template about what creating an empty one does.
 * Whoever opens it still runs `migrateToLatest`, which finds nothing left to do.
 */
export async function freshDatabase(adminUrl: string, label = 'store', options: { migrated?: boolean } = {}): Promise<FreshDatabase> {
  const name = `fu_${label}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    if (options.migrated) {
      const template = await migratedTemplate(admin, adminUrl);
      await whileAccessed(() => admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
    } else await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  return {
    name,
    url: databaseURL(adminUrl, name),
    admin,
    drop: async () => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

function databaseURL(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The migrations' sources, hashed: a template is made per version of them, so an edited or added migration gets a new one. */
function migrationsDigest(): string {
  const dir = join(ROOT, 'src', 'store', 'sql');
  const files = [join(dir, 'migrations.ts'), ...readdirSync(join(dir, 'migrations')).map((name) => join(dir, 'migrations', name))].sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.slice(dir.length)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The name of a database our migrations ran on, made once per version of the migrations on this
 * server and kept (test files run side by side, and other checkouts share the server: it is
 * never dropped by a test). Made under an advisory lock, so files starting together wait for one
 * of them to make it; built under a temporary name and renamed when complete, so a killed run
 * never leaves a half-migrated template. It refuses connections (nothing can change it, and
 * autovacuum leaves it alone), which `CREATE DATABASE … TEMPLATE` does not need.
 */
async function migratedTemplate(admin: pg.Client, adminUrl: string): Promise<string> {
  const template = `fu_template_${migrationsDigest()}`;
  const exists = async () => (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount === 1;
  if (await exists()) return template;
  await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
  try {
    if (await exists()) return template;
    const building = `fu_building_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${building}`);
    try {
      const store = await SQLStore.open(databaseURL(adminUrl, building));
      await store.close();
      // The store's connections may take a moment to be gone on the server's side.
      await whileAccessed(() => admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`));
    } catch (error) {
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`).catch(() => {});
      throw error;
    }
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
    return template;
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
  }
}

/**
 * `CREATE DATABASE … TEMPLATE` and `ALTER DATABASE … RENAME`, which PostgreSQL refuses while
 * anything is connected to that database ("… is being accessed by other users", SQLSTATE 55006):
 * nothing of ours stays connected, but a closed connection's backend can take a moment to exit.
 */
async function whileAccessed<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await statement();
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
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
        const database = await freshDatabase(pgService.value!, 'http', { migrated: true });
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
  const store = await SQLStore.open(await migratedSqliteURL(dir));
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
  const database = await freshDatabase(adminUrl, label, { migrated: true });
  const store = await SQLStore.open(database.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await database.drop();
    },
  };
}
