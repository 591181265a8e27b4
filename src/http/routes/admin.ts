import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toPublicUser } from '../../core/user.js';
import { AdminUpdateBody, ErrorBody, NoContent, PublicUser, PublicUserList, UserIdParams, UserListQuery } from '../schemas.js';
import { SECURITY, type AccountRoutesOptions } from './account-context.js';
import { auditEvent } from '../audit.js';
import type { AdminUserChanges } from '../../core/audit.js';

const TAG = ['admin'];
const ERRORS = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };

/** Superuser administration: `GET /users`, `GET/PATCH/DELETE /users/{id}` (403 for others). */
export const adminRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { account, superuser, audit }) => {
  app.get(
    '/users',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'listUsers',
        summary: 'List users (superuser)',
        security: SECURITY,
        querystring: UserListQuery,
        response: { 200: PublicUserList, ...ERRORS },
      },
    },
    async (request) => (await account.listUsers(request.query.offset, request.query.limit)).map(toPublicUser),
  );

  app.get(
    '/users/:id',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'getUser',
        summary: 'Get a user (superuser)',
        security: SECURITY,
        params: UserIdParams,
        response: { 200: PublicUser, ...ERRORS },
      },
    },
    async (request) => toPublicUser(await account.getUser(request.params.id)),
  );

  app.patch(
    '/users/:id',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'updateUser',
        summary: 'Change a user (superuser)',
        description:
          'Deactivation or a new password revokes every session of the user at once. 400 UPDATE_USER_INVALID_PASSWORD when the new password breaks the policy or, with breached-password checks on, has appeared in a data breach.',
        security: SECURITY,
        params: UserIdParams,
        body: AdminUpdateBody,
        response: { 200: PublicUser, 400: ErrorBody, ...ERRORS },
      },
    },
    async (request) => {
      const { email, password, is_active: isActive, is_superuser: isSuperuser, is_verified: isVerified } = request.body;
      const updated = await account.updateUser(request.params.id, { email, password, isActive, isSuperuser, isVerified });
      // New values only; a new password is recorded as set, never its value (OWASP Logging CS).
      const changes: AdminUserChanges = { email, is_active: isActive, is_superuser: isSuperuser, is_verified: isVerified };
      if (password !== undefined) changes.password = true;
      await auditEvent(audit, request, 'admin.user_updated', { changes }, { subjectUserId: updated.id });
      return toPublicUser(updated);
    },
  );

  app.delete(
    '/users/:id',
    {
      preValidation: superuser,
      schema: {
        tags: TAG,
        operationId: 'deleteUser',
        summary: 'Delete a user (superuser)',
        security: SECURITY,
        params: UserIdParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (request, reply) => {
      const user = await account.getUser(request.params.id);
      await account.deleteUser(request.params.id);
      await auditEvent(audit, request, 'admin.user_deleted', { email: user.email }, { subjectUserId: user.id });
      return reply.code(204).send(null);
    },
  );
};
