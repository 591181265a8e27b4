import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { Type } from 'typebox';
import type { AuditLog } from '../../core/audit.js';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import { auditEvent } from '../../http/audit.js';
import { firstPartySession } from '../../http/guard.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { answerSignIn } from '../../http/sign-in-answer.js';
import { ErrorBody, NO_CONTROL_CHARACTERS, NoContent, TokenResponse, UserIdParams } from '../../http/schemas.js';
import { recordSessionEnded } from '../../http/session-change.js';
import { clearAuthCookie } from '../../http/transport.js';

/**
 * Longest an impersonation session lives: long enough for a support call, short enough that a
 * forgotten one ends by itself (OWASP Session Management CS, "Session Expiration": shorter
 * lifetimes for high-privilege sessions).
 */
export const IMPERSONATION_LIFETIME_SECONDS = 15 * 60;

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
export const impersonationRoutes: FastifyPluginAsyncTypebox<ImpersonationRoutesOptions> = async (app, { service, audit, authenticate, superuser }) => {
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
      const actor = firstPartySession(request);
      // Nested impersonation would hide the real actor; the session's user is not a superuser then anyway.
      if (actor.impersonatorId !== undefined) throw new AuthError('IMPERSONATION_READ_ONLY');
      const user = await service.store.findUserById(request.params.id);
      if (!user) throw new AuthError('USER_NOT_FOUND');
      if (user.isSuperuser) throw new AuthError('IMPERSONATION_FORBIDDEN', 'A superuser cannot be impersonated');
      if (!user.isActive) throw new AuthError('IMPERSONATION_FORBIDDEN', 'The user is inactive');
      const agent = request.headers['user-agent'];
      const issued = await service.issueToken(
        user,
        { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null },
        { impersonatorId: actor.user.id, maxLifetime: IMPERSONATION_LIFETIME_SECONDS },
      );
      const expiresAt = new Date(service.options.now().getTime() + issued.expiresIn * 1000);
      await auditEvent(
        audit,
        request,
        'impersonation.started',
        { reason: request.body.reason, expires_at: expiresAt.toISOString() },
        { subjectUserId: user.id },
      );
      // Answered as every sign-in is (http/sign-in-answer.ts). With the cookie the browser now holds
      // the user's session (the superuser signs in again after "Stop"): the cookie lives no longer
      // than the session, and the CSRF cookie rotates to it.
      const opened = { kind: 'session' as const, user, issued, amr: [] };
      if (request.body.transport === 'cookie') {
        answerSignIn(request, reply, { ...service.options, accessTokenLifetime: issued.expiresIn }, opened, 'cookie');
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
