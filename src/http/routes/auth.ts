import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthService, ClientInfo } from '../../core/auth-service.js';
import type { AuditLog } from '../../core/audit.js';
import type { Throttle } from '../../core/throttle.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import { AuthError } from '../../core/errors.js';
import { toPublicUser } from '../../core/user.js';
import { ErrorBody, LoginForm, NoContent, OAuthErrorBody, OTPForm, PublicUser, RegisterBody, TokenForm, TokenResponse } from '../schemas.js';
import { handleTokenError } from '../oauth-error.js';
import { PENDING_SIGN_IN_SECONDS, readPendingSignIn } from '../pending-sign-in.js';
import { answerSignIn, clientInfoOf } from '../sign-in-answer.js';
import { clearAuthCookie } from '../transport.js';
import { recordSessionEnded } from '../session-change.js';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE } from '../validation.js';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { firstPartySession } from '../guard.js';
import { auditEvent } from '../audit.js';

export interface AuthRoutesOptions {
  service: AuthService;
  /** The one sign-in pipeline: throttles, second factor, `amr`, the session. */
  signIn: SignInPipeline;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
  audit: AuditLog;
}

const TAG = ['auth'];

/** `POST /register`, `POST /token`, `POST /login`, `POST /login/otp`, `POST /logout` (docs/api.md, docs/two-factor.md). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { service, signIn, authenticate, throttle, audit }) => {
  const options = service.options;

  app.post(
    '/register',
    {
      schema: {
        tags: TAG,
        operationId: 'register',
        summary: 'Create an account',
        description:
          '400 REGISTER_INVALID_PASSWORD when the password breaks the policy or, with breached-password checks on, has appeared in a data breach (docs/breached-passwords.md); `detail` says which.',
        security: [],
        body: RegisterBody,
        response: { 201: PublicUser, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      // Counted per address whatever the outcome: the duplicate answer tells whether an email has
      // an account (docs/api.md), so probing it is rate-limited (OWASP Authentication CS, "enumeration").
      await throttle.consume(throttle.registrationKeys(request.ip));
      // Only email and password are read: `is_superuser`, `id`, … in the body are ignored.
      const user = await service.register(request.body.email, request.body.password);
      await auditEvent(audit, request, 'user.registered', { method: 'password' }, { actorUserId: user.id, subjectUserId: user.id });
      return reply.code(201).send(toPublicUser(user));
    },
  );

  app.post(
    '/token',
    {
      // Errors carry RFC 6749 §5.2's `error` beside `detail` and `code` (docs/clients.md).
      errorHandler: handleTokenError,
      schema: {
        tags: TAG,
        operationId: 'issueToken',
        summary: 'OAuth2 password grant: trade email and password for a bearer token',
        security: [],
        consumes: [FORM_MEDIA_TYPE],
        body: TokenForm,
        response: {
          200: TokenResponse,
          400: OAuthErrorBody,
          401: OAuthErrorBody,
          413: OAuthErrorBody,
          415: OAuthErrorBody,
          422: OAuthErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { username, password, otp } = request.body;
      const result = await signIn.signIn(signIn.passwordAttempt(username, password, otp, request), clientInfoOf(request));
      return answerSignIn(request, reply, options, result, 'bearer');
    },
  );

  app.post(
    '/login',
    {
      schema: {
        tags: TAG,
        operationId: 'login',
        summary: 'Log in with a cookie (browsers)',
        security: [],
        consumes: [FORM_MEDIA_TYPE],
        body: LoginForm,
        response: { 204: NoContent, 401: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const { email, password, otp } = request.body;
      const result = await signIn.signIn(signIn.passwordAttempt(email, password, otp, request), clientInfoOf(request));
      // A browser may finish with `POST /login/otp` and the code alone (docs/two-factor.md).
      if (answerSignIn(request, reply, options, result, 'cookie') === 'second-factor-required') throw new AuthError('LOGIN_OTP_REQUIRED');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/login/otp',
    {
      schema: {
        tags: TAG,
        operationId: 'finishPendingSignIn',
        summary: 'Finish a pending sign-in with a one-time code (browsers)',
        description:
          'After /login answered LOGIN_OTP_REQUIRED (or an identity provider signed the user in), the pending-sign-in cookie and a TOTP or recovery code give the auth cookie.',
        consumes: [FORM_MEDIA_TYPE, JSON_MEDIA_TYPE],
        security: [],
        body: OTPForm,
        response: { 204: NoContent, 401: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const pending = await readPendingSignIn(request, options, (id) => service.store.findUserById(id));
      if (!pending) throw new AuthError('LOGIN_OTP_NOT_PENDING');
      // Single use, across instances too: the first sign-in it finishes claims it in the shared
      // counters for as long as it could live, so a copied cookie cannot open a second session.
      const claim = async () => {
        if (!(await throttle.claimOnce('pending-sign-in', pending.nonce, PENDING_SIGN_IN_SECONDS))) throw new AuthError('LOGIN_OTP_NOT_PENDING');
      };
      const attempt = signIn.pendingAttempt(pending.user, [pending.firstFactor], request.body.otp, request, claim);
      answerSignIn(request, reply, options, await signIn.signIn(attempt, clientInfoOf(request)), 'cookie');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/logout',
    {
      preHandler: authenticate,
      schema: {
        tags: TAG,
        operationId: 'logout',
        summary: 'Revoke the presented token',
        security: [{ OAuth2PasswordBearer: [] }],
        response: { 204: NoContent, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const session = firstPartySession(request);
      await service.revokeToken(session.digest);
      clearAuthCookie(reply, options);
      // Ending an impersonation by signing out is that impersonation's end (docs/audit.md).
      if (session.impersonatorId !== undefined) await auditEvent(audit, request, 'impersonation.ended', { how: 'signed_out' });
      else await auditEvent(audit, request, 'sign_out', {});
      recordSessionEnded(request);
      return reply.code(204).send(null);
    },
  );
};
