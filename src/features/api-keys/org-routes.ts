import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import { Type } from 'typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { User } from '../../core/user.js';
import { requireRecentAuthentication } from '../../http/recent-authentication.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import type { OrganizationService } from '../organizations/organizations.js';
import type { ApiKeyService } from './api-keys.js';
import { toApiKeyInfo } from './routes.js';
import { ApiKeyCreateBody, ApiKeyCreated, ApiKeyList } from './schemas.js';

export interface OrgApiKeyRoutesOptions {
  apiKeys: ApiKeyService;
  organizations: OrganizationService;
  /** A guard admitting first-party sessions only. */
  authenticate: preHandlerAsyncHookHandler;
  recent: RecentAuthentication;
  credentialAdded: (user: User, credential: AddedCredential) => void;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['api-keys'];
const OrgId = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
const OrgParams = Type.Object({ id: OrgId });
const OrgKeyParams = Type.Object({ id: OrgId, keyId: OrgId });
const ORG_ERRORS = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };

/**
 * An organization's API keys (docs/api-keys.md): `/orgs/{id}/api-keys…`, for its admins and
 * owners. A key acts for the organization as the admin who made it, and dies with that admin's
 * membership or the organization (migration 0010's cascade). As for personal keys, every route
 * takes a first-party session, making one a recent authentication, and the maker is the session.
 */
export const orgApiKeyRoutes: FastifyPluginAsyncTypebox<OrgApiKeyRoutesOptions> = async (
  app,
  { apiKeys, organizations, authenticate, recent, credentialAdded, audit },
) => {
  app.post(
    '/orgs/:id/api-keys',
    {
      preValidation: authenticate,
      preHandler: requireRecentAuthentication(recent),
      schema: {
        tags: TAG,
        operationId: 'createOrganizationApiKey',
        summary: 'Make an API key for an organization (admin+; the key is shown once)',
        description:
          'The key acts for the organization as the caller, and dies with the caller’s membership. Needs a recently authenticated first-party session, or `current_password`.',
        security: SECURITY,
        params: OrgParams,
        body: ApiKeyCreateBody,
        response: { 201: ApiKeyCreated, 400: ErrorBody, ...ORG_ERRORS, 415: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = request.authSession.user;
      // 404 for a non-member, 403 below admin (docs/organizations.md).
      const membership = await organizations.access(user, request.params.id, 'admin');
      const { name, scopes, expires_in: expiresIn } = request.body;
      const { record, key } = await apiKeys.create(user, { name, scopes, expiresIn, orgId: membership.orgId });
      await auditEvent(audit, request, 'api_key.created', { key_id: record.id, name: record.name, org_id: membership.orgId }, { orgId: membership.orgId });
      credentialAdded(user, { kind: 'api_key', name: `${record.name} (organization ${membership.organization.name})`, prefix: record.prefix });
      const { last_used_at: _, ...created } = toApiKeyInfo(record);
      return reply.code(201).send({ ...created, key });
    },
  );

  app.get(
    '/orgs/:id/api-keys',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'listOrganizationApiKeys',
        summary: "List an organization's API keys (admin+; never the keys themselves)",
        security: SECURITY,
        params: OrgParams,
        response: { 200: ApiKeyList, ...ORG_ERRORS },
      },
    },
    async (request) => {
      const membership = await organizations.access(request.authSession.user, request.params.id, 'admin');
      return (await apiKeys.list({ orgId: membership.orgId })).map(toApiKeyInfo);
    },
  );

  app.delete(
    '/orgs/:id/api-keys/:keyId',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'revokeOrganizationApiKey',
        summary: "Revoke one of an organization's API keys (admin+; refused everywhere at once)",
        security: SECURITY,
        params: OrgKeyParams,
        response: { 204: NoContent, ...ORG_ERRORS },
      },
    },
    async (request, reply) => {
      const membership = await organizations.access(request.authSession.user, request.params.id, 'admin');
      await apiKeys.revoke({ orgId: membership.orgId }, request.params.keyId);
      await auditEvent(audit, request, 'api_key.revoked', { key_id: request.params.keyId, org_id: membership.orgId }, { orgId: membership.orgId });
      return reply.code(204).send(null);
    },
  );
};
