import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A PostgreSQL database made for one test run, and how to drop it. */
export interface FreshDatabase {
  name: string;
  url: string;
  /** An admin connection on the server's `test` database (for ALTER/terminate in tests). */
  admin: pg.Client;
  drop: () => Promise<void>;
}

/**
 * Creates a database with a random name through `adminUrl` (other engineers share the server, so
 * names never collide), returns its URL, and drops it (forcibly: a test may leave connections) on
 * `drop()`.
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
