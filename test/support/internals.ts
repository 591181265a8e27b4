import type { FastifyInstance } from 'fastify';
import type { FastifyUsersInternals } from '../../src/http/services.js';

/**
 * The whole objects behind `app.fastifyUsers` (its store, session cache, password context…), which
 * a host sees only through small interfaces: for tests that look under the surface.
 */
export function internalsOf(app: FastifyInstance): FastifyUsersInternals {
  return app.fastifyUsers as FastifyUsersInternals;
}
