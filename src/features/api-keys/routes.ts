import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { User } from '../../core/user.js';
import { requireRecentAuthentication } from '../../http/recent-authentication.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import type { ApiKeyRecord } from './api-key-store.js';
import type { ApiKeyService } from './api-keys.js';
import { ApiKeyCreateBody, ApiKeyCreated, ApiKeyIdParams, ApiKeyList } from './schemas.js';

export interface ApiKeyRoutesOptions {
  apiKeys: ApiKeyService;
  /** A guard admitting first-party sessions only: an API key never manages keys (docs/api-keys.md). */
  authenticate: preHandlerAsyncHookHandler;
  recent: RecentAuthentication;
  /** Mails the user about a key just made (docs/security.md, "Recent authentication"). */
  credentialAdded: (user: User, credential: AddedCredential) => void;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['api-keys'];

/** The public JSON of a key: never the key, never its digest. */
export function toApiKeyInfo(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    expires_at: key.expiresAt?.toISOString() ?? null,
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * A user's personal API keys: `/users/me/api-keys…` to make, list and revoke them. Every route
 * takes a first-party session; making a key also a recent authentication, as any new way into
 * the account (OWASP ASVS 5.0 V7.5). The owner is always the caller's session, never a field of
 * the body (Better Auth's CVE-2025-61928 let a body's `userId` mint keys for anyone).
 */
export const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiKeyRoutesOptions> = async (app, { apiKeys, authenticate, recent, credentialAdded, audit }) => {
  app.post(
    '/users/me/api-keys',
    {
      preValidation: authenticate,
      preHandler: requireRecentAuthentication(recent),
      schema: {
        tags: TAG,
        operationId: 'createApiKey',
        summary: 'Make an API key for the current user (the key is shown once)',
        description:
          'Needs a session signed in here (not an API key or another app’s token) that is recently authenticated, or `current_password`. ' +
          'Any other body field (`user_id`, …) is ignored: the key is always the caller’s. The user is mailed about the new key.',
        security: SECURITY,
        body: ApiKeyCreateBody,
        response: { 201: ApiKeyCreated, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = request.authSession.user;
      const { name, scopes, expires_in: expiresIn } = request.body;
      const { record, key } = await apiKeys.create(user, { name, scopes, expiresIn });
      await auditEvent(audit, request, 'api_key.created', { key_id: record.id, name: record.name });
      credentialAdded(user, { kind: 'api_key', name: record.name, prefix: record.prefix });
      const { last_used_at: _, ...created } = toApiKeyInfo(record);
      return reply.code(201).send({ ...created, key });
    },
  );

  app.get(
    '/users/me/api-keys',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'listApiKeys',
        summary: "List the current user's API keys (never the keys themselves)",
        security: SECURITY,
        response: { 200: ApiKeyList, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => (await apiKeys.list({ userId: request.authSession.user.id })).map(toApiKeyInfo),
  );

  app.delete(
    '/users/me/api-keys/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'revokeApiKey',
        summary: "Revoke one of the current user's API keys (refused everywhere within a second)",
        security: SECURITY,
        params: ApiKeyIdParams,
        response: { 204: NoContent, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      await apiKeys.revoke({ userId: request.authSession.user.id }, request.params.id);
      await auditEvent(audit, request, 'api_key.revoked', { key_id: request.params.id });
      return reply.code(204).send(null);
    },
  );
};
