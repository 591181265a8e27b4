import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthService, ClientInfo } from '../../core/auth-service.js';
import type { Throttle } from '../../core/throttle.js';
import type { SecondFactor } from '../../core/second-factor.js';
import { AuthError } from '../../core/errors.js';
import { toPublicUser, type User } from '../../core/user.js';
import { ErrorBody, LoginForm, NoContent, OAuthErrorBody, OTPForm, PublicUser, RegisterBody, TokenForm, TokenResponse } from '../schemas.js';
import { handleTokenError } from '../oauth-error.js';
import { clearPendingSignIn, readPendingSignIn, startPendingSignIn } from '../pending-sign-in.js';
import { clearAuthCookie, setAuthCookie } from '../transport.js';
import { recordSessionEnded, recordSessionOpened } from '../session-change.js';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE } from '../validation.js';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

export interface AuthRoutesOptions {
  service: AuthService;
  /** The second factor sign-in asks for (TOTP when on); none otherwise. */
  secondFactor: SecondFactor;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
}

const TAG = ['auth'];

/** `POST /register`, `POST /token`, `POST /login`, `POST /login/otp`, `POST /logout` (docs/api.md, docs/two-factor.md). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { service, secondFactor, authenticate, throttle }) => {
  const options = service.options;

  /**
   * Password, then the second factor (docs/two-factor.md). The attempt is charged to the login
   * throttle first (429 before any hashing); the password is checked before anything about TOTP is
   * read, so a wrong password costs the same with or without TOTP. A wrong `otp` keeps its charge
   * like a wrong password; a right password without `otp` is refunded without clearing the
   * counters (neither a failure nor a success: it must not reset the count of wrong codes).
   */
  async function signInWithPassword(request: FastifyRequest, identifier: string, password: string, otp: string | undefined): Promise<User | { otpRequired: User }> {
    const keys = throttle.loginKeys(identifier, request.ip);
    await throttle.consume(keys);
    const user = await service.authenticate(identifier, password, { ip: request.ip });
    if (!user) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    const verdict = await secondFactor.checkSignIn(user, otp);
    if (verdict === 'bad') throw new AuthError('LOGIN_BAD_OTP');
    if (verdict === 'required') {
      await throttle.refund(keys);
      return { otpRequired: user };
    }
    await throttle.reset(keys);
    return user;
  }

  app.post('/register', {
    schema: {
      tags: TAG,
      operationId: 'register',
      summary: 'Create an account',
      security: [],
      body: RegisterBody,
      response: { 201: PublicUser, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    // Counted per address whatever the outcome: the duplicate answer tells whether an email has
    // an account (docs/api.md), so probing it is rate-limited (OWASP Authentication CS, "enumeration").
    await throttle.consume(throttle.registrationKeys(request.ip));
    // Only email and password are read: `is_superuser`, `id`, … in the body are ignored.
    const user = await service.register(request.body.email, request.body.password);
    return reply.code(201).send(toPublicUser(user));
  });

  app.post('/token', {
    // Errors carry RFC 6749 §5.2's `error` beside `detail` and `code` (docs/clients.md).
    errorHandler: handleTokenError,
    schema: {
      tags: TAG,
      operationId: 'issueToken',
      summary: 'OAuth2 password grant: trade email and password for a bearer token',
      security: [],
      consumes: [FORM_MEDIA_TYPE],
      body: TokenForm,
      response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 413: OAuthErrorBody, 415: OAuthErrorBody, 422: OAuthErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const { username, password, otp } = request.body;
    const user = await signInWithPassword(request, username, password, otp);
    if ('otpRequired' in user) throw new AuthError('LOGIN_OTP_REQUIRED');
    const issued = await service.issueToken(user, clientInfoOf(request));
    // RFC 6749 §5.1: token responses must not be cached.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return { access_token: issued.token, token_type: 'bearer' as const, expires_in: issued.expiresIn };
  });

  app.post('/login', {
    schema: {
      tags: TAG,
      operationId: 'login',
      summary: 'Log in with a cookie (browsers)',
      security: [],
      consumes: [FORM_MEDIA_TYPE],
      body: LoginForm,
      response: { 204: NoContent, 401: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const { email, password, otp } = request.body;
    const user = await signInWithPassword(request, email, password, otp);
    if ('otpRequired' in user) {
      // A browser may finish with `POST /login/otp` and the code alone: the password is not
      // kept anywhere meanwhile (docs/two-factor.md).
      startPendingSignIn(reply, options, user.otpRequired);
      throw new AuthError('LOGIN_OTP_REQUIRED');
    }
    const issued = await service.issueToken(user, clientInfoOf(request));
    setAuthCookie(reply, options, issued.token);
    recordSessionOpened(request, issued.digest);
    return reply.code(204).send(null);
  });

  app.post('/login/otp', {
    schema: {
      tags: TAG,
      operationId: 'finishPendingSignIn', summary: 'Finish a pending sign-in with a one-time code (browsers)',
      description: 'After /login answered LOGIN_OTP_REQUIRED (or an identity provider signed the user in), the pending-sign-in cookie and a TOTP or recovery code give the auth cookie.',
      consumes: [FORM_MEDIA_TYPE, JSON_MEDIA_TYPE],
      security: [],
      body: OTPForm,
      response: { 204: NoContent, 401: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const userId = readPendingSignIn(request, options);
    const pending = userId === null ? null : await service.store.findUserById(userId);
    if (!pending || !pending.isActive) throw new AuthError('LOGIN_OTP_NOT_PENDING');
    // The same counters as a password for this account: guessing codes here is guessing a login.
    const keys = throttle.loginKeys(pending.email, request.ip);
    await throttle.consume(keys);
    if (!(await secondFactor.isEnabled(pending.id)) || (await secondFactor.checkSignIn(pending, request.body.otp)) !== 'ok') {
      throw new AuthError('LOGIN_BAD_OTP');
    }
    await throttle.reset(keys);
    const issued = await service.issueToken(pending, clientInfoOf(request));
    clearPendingSignIn(reply, options);
    setAuthCookie(reply, options, issued.token);
    recordSessionOpened(request, issued.digest);
    return reply.code(204).send(null);
  });

  app.post('/logout', {
    preHandler: authenticate,
    schema: { tags: TAG, operationId: 'logout', summary: 'Revoke the presented token', security: [{ OAuth2PasswordBearer: [] }], response: { 204: NoContent, 401: ErrorBody } },
  }, async (request, reply) => {
    await service.revokeToken(request.authSession.digest);
    clearAuthCookie(reply, options);
    recordSessionEnded(request);
    return reply.code(204).send(null);
  });
};

/** Where a session is opened from (user agent and address), for the sessions list. */
export function clientInfoOf(request: { headers: Record<string, string | string[] | undefined>; ip: string }): ClientInfo {
  const agent = request.headers['user-agent'];
  return { userAgent: typeof agent === 'string' ? agent : null, ip: request.ip };
}
