import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toPublicUser } from '../../core/user.js';
import { DeleteMeBody, ErrorBody, NoContent, PublicUser, UpdateMeBody } from '../schemas.js';
import { clearAuthCookie } from '../transport.js';
import { recordSessionEnded } from '../session-change.js';
import { SECURITY, type AccountRoutesOptions } from './account-context.js';
import { firstPartySession } from '../guard.js';
import { auditEvent } from '../audit.js';

const TAG = ['users'];

/** `PATCH /users/me` and `DELETE /users/me`; both ask for the current password (ASVS 6.2.3), throttled like logins. */
export const profileRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { account, authenticate, options, audit }) => {
  app.patch(
    '/users/me',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'updateCurrentUser',
        summary: 'Change the email and/or password of the current user',
        description:
          'A new email clears is_verified; a new password signs out every other session. 400 UPDATE_USER_INVALID_PASSWORD when the new password breaks the policy or, with breached-password checks on, has appeared in a data breach.',
        security: SECURITY,
        body: UpdateMeBody,
        response: { 200: PublicUser, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const { email, password, current_password: currentPassword } = request.body;
      const previous = firstPartySession(request).user;
      const user = await account.updateProfile(firstPartySession(request), { email, password, currentPassword }, { ip: request.ip });
      if (user.email !== previous.email) await auditEvent(audit, request, 'email.changed', { previous_email: previous.email, email: user.email });
      if (user.hashedPassword !== previous.hashedPassword) await auditEvent(audit, request, 'password.changed', {});
      return toPublicUser(user);
    },
  );

  app.delete(
    '/users/me',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'deleteCurrentUser',
        summary: 'Delete the current user and all their sessions',
        security: SECURITY,
        body: DeleteMeBody,
        response: { 204: NoContent, 401: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      await account.deleteAccount(firstPartySession(request), request.body.current_password, { ip: request.ip });
      await auditEvent(audit, request, 'user.deleted', {});
      clearAuthCookie(reply, options);
      recordSessionEnded(request);
      return reply.code(204).send(null);
    },
  );
};
