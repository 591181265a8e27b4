import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { PublicUser as PublicUserType } from '../../core/user.js';
import { Type } from 'typebox';
import { ErrorBody, PublicUser } from '../schemas.js';

/** `GET /users/me`'s user: during support impersonation, also the superuser acting (docs/audit.md). */
const CurrentUser = Type.Object(
  { ...PublicUser.properties, impersonated_by: Type.Optional(Type.Integer({ description: 'The superuser using this session to impersonate the user' })) },
  { additionalProperties: false },
);

// Any credential: a session, an access token of our provider, or an API key, in `X-API-Key` or as a bearer token (docs/api-keys.md).
const SECURED = {
  security: [{ OAuth2PasswordBearer: [] }, { APIKeyHeader: [] }] as Array<Record<string, string[]>>,
  response: { 200: PublicUser, 401: ErrorBody },
};

/** `GET /users/me` and the note's `GET /protected-route`. */
export const userRoutes: FastifyPluginAsyncTypebox<{ authenticate: preHandlerAsyncHookHandler; userOf: (request: FastifyRequest) => PublicUserType }> = async (
  app,
  { authenticate, userOf },
) => {
  // Synchronous handlers: the answer is at hand, and an async one costs a promise per request.
  app.get(
    '/users/me',
    {
      preHandler: authenticate,
      schema: { tags: ['users'], operationId: 'getCurrentUser', summary: 'The current user', ...SECURED, response: { ...SECURED.response, 200: CurrentUser } },
    },
    (request, reply) => {
      const session = request.authSession as FastifyRequest['authSession'] | null;
      const impersonatorId = session?.kind === 'session' ? session.impersonatorId : undefined;
      reply.send(impersonatorId === undefined ? userOf(request) : { ...userOf(request), impersonated_by: impersonatorId });
    },
  );
  app.get(
    '/protected-route',
    { preHandler: authenticate, schema: { tags: ['users'], operationId: 'getProtectedRoute', summary: 'Any authenticated route', ...SECURED } },
    (request, reply) => {
      reply.send(userOf(request));
    },
  );
};
