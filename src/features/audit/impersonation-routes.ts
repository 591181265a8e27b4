import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { AuditLog } from '../../core/audit.js';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import { auditEvent } from '../../http/audit.js';
import { firstPartySession } from '../../http/guard.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { answerSignIn } from '../../http/sign-in-answer.js';
import { ErrorBody, NO_CONTROL_CHARACTERS, NoContent, TokenResponse, UserIdParams } from '../../http/schemas.js';
import { recordSessionEnded } from '../../http/session-change.js';
import { clearAuthCookie } from '../../http/transport.js';

export const ImpersonateBody = Type.Object({
  reason: Type.String({ minLength: 3, maxLength: 500, pattern: NO_CONTROL_CHARACTERS, description: 'Why (a ticket, a request); recorded in the audit log' }),
  transport: Type.Optional(
    Type.Union([Type.Literal('bearer'), Type.Literal('cookie')], {
      description: "`cookie`: the session replaces this browser's auth cookie (204), for the web page; default `bearer` (200 with the token)",
    }),
  ),
});

export interface ImpersonationRoutesOptions {
  service: AuthService;
  signIn: SignInPipeline;
  audit: AuditLog;
  authenticate: preHandlerAsyncHookHandler;
  superuser: preHandlerAsyncHookHandler;
}

/**
 * Support impersonation (docs/audit.md, "Impersonation"): a superuser opens a short session as a
 * user, with a reason, to see what they see. The session is marked with its impersonator, so
 * every event it records names the superuser as actor, `GET /users/me` shows `impersonated_by`,
 * and the routes that change how the account signs in refuse it (IMPERSONATION_READ_ONLY,
 * http/plugin-routes.ts). A superuser is never impersonated: that would lend one superuser's
 * powers to another under a borrowed name.
 */
export const impersonationRoutes: FastifyPluginAsyncTypebox<ImpersonationRoutesOptions> = async (app, { service, signIn, audit, authenticate, superuser }) => {
  app.post(
    '/admin/users/:id/impersonate',
    {
      preValidation: superuser,
      schema: {
        tags: ['admin'],
        operationId: 'impersonateUser',
        summary: 'Open a read-only session as a user for support, for 15 minutes at most (superuser)',
        description:
          'The answer is a bearer token for that user; the session is marked (GET /users/me adds impersonated_by), cannot change the password, email, TOTP, passkeys or API keys (403 IMPERSONATION_READ_ONLY), and its start, end and actions are recorded with the superuser as actor. 403 IMPERSONATION_FORBIDDEN for a superuser or an inactive user.',
        security: SECURITY,
        params: UserIdParams,
        body: ImpersonateBody,
        response: { 200: TokenResponse, 204: NoContent, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 415: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      // The pipeline decides whom the session may be for, opens it and records its start (core/sign-in.ts).
      const agent = request.headers['user-agent'];
      const attempt = signIn.impersonationAttempt(firstPartySession(request), request.params.id, request.body.reason);
      const opened = await signIn.signIn(attempt, { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null });
      if (opened.kind !== 'session') throw new Error('an impersonation attempt opens a session or is refused');
      // Answered as every sign-in is (http/sign-in-answer.ts). With the cookie the browser now holds
      // the user's session (the superuser signs in again after "Stop"): the cookie lives no longer
      // than the session, and the CSRF cookie rotates to it.
      if (request.body.transport === 'cookie') {
        answerSignIn(request, reply, { ...service.options, accessTokenLifetime: opened.issued.expiresIn }, opened, 'cookie');
        return reply.code(204).send(null);
      }
      return reply.code(200).send(answerSignIn(request, reply, service.options, opened, 'bearer'));
    },
  );

  app.post(
    '/users/me/impersonation/stop',
    {
      preValidation: authenticate,
      schema: {
        tags: ['users'],
        operationId: 'stopImpersonation',
        summary: 'End the impersonation session in use (the superuser is back to their own session)',
        security: SECURITY,
        response: { 204: NoContent, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const session = firstPartySession(request);
      if (session.impersonatorId === undefined) throw new AuthError('NOT_IMPERSONATING');
      await service.revokeToken(session.digest);
      if (request.headers.authorization === undefined) clearAuthCookie(reply, service.options);
      recordSessionEnded(request);
      await auditEvent(audit, request, 'impersonation.ended', { how: 'stopped' });
      return reply.code(204).send(null);
    },
  );
};
