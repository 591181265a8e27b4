import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeEmail } from '../../core/email.js';
import { toPublicUser } from '../../core/user.js';
import { Accepted, EmailBody, ErrorBody, PublicUser, ResetPasswordBody } from '../schemas.js';
import type { AccountRoutesOptions } from './account-context.js';
import { auditEvent } from '../audit.js';

const TAG = ['account'];

/** `POST /forgot-password` and `POST /reset-password` (fastapi-users' reset router). */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { tokens, outbox, throttle, audit }) => {
  app.post(
    '/forgot-password',
    {
      schema: {
        tags: TAG,
        operationId: 'forgotPassword',
        summary: 'Mail a password-reset link',
        security: [],
        description: 'Always 202, whether or not the email belongs to an account (no enumeration).',
        body: EmailBody,
        response: { 202: Accepted, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      await throttle?.('forgot-password', { email, ip: request.ip });
      // The lookup, the token and the mail happen after the answer: same body, same timing.
      outbox.enqueue(() => tokens.forgotPassword(email), { to: email });
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/reset-password',
    {
      schema: {
        tags: TAG,
        operationId: 'resetPassword',
        summary: 'Set a new password with the token from the reset mail',
        security: [],
        description:
          'Revokes every session of the user; does not log in. 400 RESET_PASSWORD_INVALID_PASSWORD when the password breaks the policy or, with breached-password checks on, has appeared in a data breach (the token stays usable).',
        body: ResetPasswordBody,
        response: { 200: PublicUser, 400: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const user = await tokens.resetPassword(request.body.token, request.body.password);
      // The token's holder acts for the account it was mailed to.
      await auditEvent(audit, request, 'password.reset', {}, { actorUserId: user.id, subjectUserId: user.id });
      return toPublicUser(user);
    },
  );
};
