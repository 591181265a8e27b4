import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { AuditLog } from '../../core/audit.js';
import { AuthError } from '../../core/errors.js';
import { auditEvent } from '../../http/audit.js';
import { firstPartySession } from '../../http/guard.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';

/** A user's grant to a client, as "Connected apps" shows it. */
export interface ConnectedApp {
  clientId: string;
  clientName: string | null;
  scopes: string[];
  createdAt: Date;
}

/** The user's grants, on the provider's storage. */
export interface UserGrants {
  list(userId: number): Promise<ConnectedApp[]>;
  /** Revokes the consent and every code and token of one client for the user; how many records went. */
  revoke(userId: number, clientId: string): Promise<number>;
}

const ConnectedAppBody = Type.Object({
  client_id: Type.String(),
  client_name: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
});
const ClientIdParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:-]+$' }) });
const TAG = ['oauth-server'];

/**
 * "Connected apps": `GET /users/me/oauth-grants` and `DELETE /users/me/oauth-grants/{client_id}`
 * (docs/oauth-server.md). Account management, so a first-party session only: an app's own token
 * cannot list or revoke the others (docs/resource-server.md).
 */
export const grantRoutes: FastifyPluginAsyncTypebox<{ grants: UserGrants; authenticate: preHandlerAsyncHookHandler; audit: AuditLog }> = async (
  app,
  { grants, authenticate, audit },
) => {
  app.get(
    '/users/me/oauth-grants',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'listConnectedApps',
        summary: 'List the apps I signed in to with this service',
        security: SECURITY,
        response: { 200: Type.Array(ConnectedAppBody), 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => {
      const { user } = firstPartySession(request);
      return (await grants.list(user.id)).map((grant) => ({
        client_id: grant.clientId,
        client_name: grant.clientName,
        scopes: grant.scopes,
        created_at: grant.createdAt.toISOString(),
      }));
    },
  );

  app.delete(
    '/users/me/oauth-grants/:client_id',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'revokeConnectedApp',
        summary: 'Disconnect an app: its consent and tokens end',
        security: SECURITY,
        params: ClientIdParams,
        response: { 204: NoContent, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const { user } = firstPartySession(request);
      if ((await grants.revoke(user.id, request.params.client_id)) === 0) throw new AuthError('OAUTH_GRANT_NOT_FOUND');
      await auditEvent(audit, request, 'oauth_consent.revoked', { client_id: request.params.client_id });
      return reply.code(204).send(null);
    },
  );
};
