import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuthError } from '../../core/errors.js';
import type { Store } from '../../store/types.js';
import { ErrorBody, HealthResponse } from '../schemas.js';

/** Seconds a client should wait before asking again while the database is away. */
export const UNAVAILABLE_RETRY_AFTER = 5;

/** `GET /health`: 200 when the database answers, 503 when it does not. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get('/health', { schema: { tags: ['ops'], response: { 200: HealthResponse, 503: ErrorBody } } }, async () => {
    try {
      await store.ping();
    } catch {
      throw new AuthError('SERVICE_UNAVAILABLE', undefined, { retryAfter: UNAVAILABLE_RETRY_AFTER });
    }
    return { status: 'ok' };
  });
};
