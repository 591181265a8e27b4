import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { join } from 'node:path';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { FAST_ARGON2, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

/** The plugin on a temp SQLite file, with every route it declared as Fastify recorded it. */
export async function appWithRoutes(
  options: Partial<FastifyUsersOptions> = {},
): Promise<{ app: FastifyInstance; routes: RouteOptions[]; close: () => Promise<void> }> {
  const dir = tempDir();
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  await app.register(fastifyUsers, {
    databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
    secretKey: TEST_SECRET,
    argon2: FAST_ARGON2,
    unsafeArgon2ForTests: true,
    ...options,
  });
  await app.ready();
  return {
    app,
    routes,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}
