import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { buildServer, readConfig, type BuildServerOverrides } from '../src/server.js';
import { FAST_ARGON2, TEST_SECRET, tempDir } from './helpers.js';

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
