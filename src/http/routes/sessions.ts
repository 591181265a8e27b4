import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sessionIdOf } from '../../core/token.js';
import { ErrorBody, NoContent, SessionIdParams, SessionList } from '../schemas.js';
import { clearAuthCookie } from '../transport.js';
import { recordSessionEnded } from '../session-change.js';
import { SECURITY, type AccountRoutesOptions } from './account-context.js';
import { firstPartySession } from '../guard.js';
import { auditEvent } from '../audit.js';

const TAG = ['sessions'];

/** The current user's sessions: list, end one, end all others (Better Auth's session management). */
export const sessionRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { account, authenticate, options, audit }) => {
  app.get(
    '/users/me/sessions',
    {
      preValidation: authenticate,
      schema: { tags: TAG, operationId: 'listSessions', summary: 'List my sessions', security: SECURITY, response: { 200: SessionList, 401: ErrorBody } },
    },
    async (request) => account.listSessions(firstPartySession(request)),
  );

  app.delete(
    '/users/me/sessions/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'deleteSession',
        summary: 'End one of my sessions ("sign out this device")',
        security: SECURITY,
        params: SessionIdParams,
        response: { 204: NoContent, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await account.revokeSession(firstPartySession(request), request.params.id);
      await auditEvent(audit, request, 'session.revoked', { scope: 'one', count: 1 });
      if (request.params.id === sessionIdOf(firstPartySession(request).digest)) {
        // Ending the session in use is a logout: drop the cookie too.
        clearAuthCookie(reply, options);
        recordSessionEnded(request);
      }
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/users/me/sessions',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'deleteOtherSessions',
        summary: 'End all my other sessions',
        security: SECURITY,
        response: { 204: NoContent, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const count = await account.revokeOtherSessions(firstPartySession(request));
      await auditEvent(audit, request, 'session.revoked', { scope: 'others', count });
      return reply.code(204).send(null);
    },
  );
};
