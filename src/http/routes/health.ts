import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuthError } from '../../core/errors.js';
import type { Store } from '../../core/store.js';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../store/unavailable.js';
import { ErrorBody, HealthResponse } from '../schemas.js';

/** `GET /health`: 200 when the database answers, 503 when it does not. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        operationId: 'getHealth',
        summary: 'Whether the service and its database answer (for load balancers)',
        security: [],
        response: { 200: HealthResponse, 503: ErrorBody },
      },
    },
    async () => {
      try {
        await store.ping();
      } catch {
        throw new AuthError('SERVICE_UNAVAILABLE', undefined, { retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS });
      }
      return { status: 'ok' };
    },
  );
};
