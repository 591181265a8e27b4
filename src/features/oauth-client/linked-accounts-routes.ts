import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { OAuthAccounts } from './oauth-accounts.js';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import { LinkedAccountList, LinkedAccountParams } from './schemas.js';
import { SECURITY } from '../../http/routes/account-context.js';

export interface LinkedAccountRoutesOptions {
  accounts: OAuthAccounts;
  authenticate: preHandlerAsyncHookHandler;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['oauth'];

/** The caller's linked provider identities: list and unlink (linking starts at `POST /oauth/{provider}/link`). */
export const linkedAccountRoutes: FastifyPluginAsyncTypebox<LinkedAccountRoutesOptions> = async (app, { accounts, authenticate, audit }) => {
  app.get(
    '/users/me/accounts',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'listLinkedAccounts',
        summary: 'List my linked provider accounts',
        security: SECURITY,
        response: { 200: LinkedAccountList, 401: ErrorBody },
      },
    },
    async (request) => accounts.listAccounts(request.authSession.user.id),
  );

  app.delete(
    '/users/me/accounts/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'unlinkAccount',
        summary: 'Unlink one of my provider accounts (refused for the last way to sign in)',
        security: SECURITY,
        params: LinkedAccountParams,
        response: { 204: NoContent, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const provider = await accounts.unlink(request.authSession.user.id, request.params.id);
      await auditEvent(audit, request, 'provider.unlinked', { provider });
      return reply.code(204).send(null);
    },
  );
};
