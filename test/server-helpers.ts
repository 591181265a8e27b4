import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { buildServer, readConfig, type BuildServerOverrides } from '../src/server.js';
import { FAST_ARGON2, TEST_SECRET, tempDir } from './helpers.js';
import { postgres } from './services.js';

export interface TestServer {
  app: FastifyInstance;
  close: () => Promise<void>;
}

/**
 * The whole service as `npm start` builds it (readConfig + buildServer: error format, 404s,
 * trustProxy, logger), on a SQLite file in a temp folder, with fast argon2 parameters.
 */
export async function buildTestServer(env: Record<string, string> = {}, overrides: BuildServerOverrides = { logger: false }): Promise<TestServer> {
  const dir = tempDir();
  let app: FastifyInstance;
  try {
    const config = readConfig({ SECRET_KEY: TEST_SECRET, DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, ...env });
    config.auth.argon2 = FAST_ARGON2;
    app = await buildServer(config, overrides);
  } catch (error) {
    dir.cleanup();
    throw error;
  }
  return {
    app,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}

/** A database the HTTP suites run on: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** `false` to run, or why the suite is skipped. */
  skip: string | false;
  /** Environment for {@link buildTestServer} (a fresh database per call), and its cleanup. */
  create: () => Promise<{ env: Record<string, string>; drop: () => Promise<void> }>;
}

/** SQLite (a temp file per server) and, when available, PostgreSQL (a uniquely named database, dropped after). */
export function testDatabases(): TestDatabase[] {
  const pgService = postgres();
  return [
    { name: 'sqlite', skip: false, create: async () => ({ env: {}, drop: async () => {} }) },
    {
      name: 'postgres',
      skip: pgService.skip,
      create: async () => {
        const admin = new pg.Client({ connectionString: pgService.value });
        await admin.connect();
        const name = `fastify_users_h5_${randomBytes(6).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${name}`);
        const url = new URL(pgService.value!);
        url.pathname = `/${name}`;
        return {
          env: { DATABASE_URL: url.href },
          drop: async () => {
            await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await admin.end();
          },
        };
      },
    },
  ];
}
