import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeEmail } from '../../core/email.js';
import { toPublicUser } from '../../core/user.js';
import { Accepted, EmailBody, ErrorBody, PublicUser, VerifyBody } from '../schemas.js';
import type { AccountRoutesOptions } from './account-context.js';
import { auditEvent } from '../audit.js';

const TAG = ['account'];

/** `POST /request-verify-token` and `POST /verify` (fastapi-users' verify router). */
export const verificationRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { tokens, outbox, throttle, audit }) => {
  app.post(
    '/request-verify-token',
    {
      schema: {
        tags: TAG,
        operationId: 'requestVerifyToken',
        summary: 'Mail an email-verification link',
        security: [],
        description: 'Always 202: unknown, inactive and already verified accounts get no mail, and the answer does not say so.',
        body: EmailBody,
        response: { 202: Accepted, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      await throttle?.('request-verify-token', { email, ip: request.ip });
      outbox.enqueue(() => tokens.requestVerification(email), { to: email });
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/verify',
    {
      schema: {
        tags: TAG,
        operationId: 'verify',
        summary: 'Confirm an email address with the token from the verification mail',
        security: [],
        body: VerifyBody,
        response: { 200: PublicUser, 400: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const user = await tokens.verify(request.body.token);
      await auditEvent(audit, request, 'email.verified', { email: user.email }, { actorUserId: user.id, subjectUserId: user.id });
      return toPublicUser(user);
    },
  );
};
