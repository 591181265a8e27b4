import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthService } from '../../core/auth-service.js';
import type { Throttle } from '../../core/throttle.js';
import { AuthError } from '../../core/errors.js';
import { toPublicUser } from '../../core/user.js';
import { ErrorBody, LoginForm, NoContent, OAuthErrorBody, PublicUser, RegisterBody, TokenForm, TokenResponse } from '../schemas.js';
import { handleTokenError } from '../oauth-error.js';
import { clearAuthCookie, setAuthCookie } from '../transport.js';
import { markSessionChange } from '../session-change.js';
import { FORM_MEDIA_TYPE } from '../validation.js';
import type { preHandlerAsyncHookHandler } from 'fastify';

export interface AuthRoutesOptions {
  service: AuthService;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
}

const TAG = ['auth'];

/** `POST /register`, `POST /token`, `POST /login`, `POST /logout` (SPEC §4, first table). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { service, authenticate, throttle }) => {
  const options = service.options;

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
    // an account (SPEC §4), so probing it is rate-limited (OWASP Authentication CS, "enumeration").
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
    const { username, password } = request.body;
    const user = await throttle.guard(throttle.loginKeys(username, request.ip), () => service.authenticate(username, password, { ip: request.ip }));
    if (!user) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    const issued = await service.issueToken(user, clientOf(request));
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
    const { email, password } = request.body;
    const user = await throttle.guard(throttle.loginKeys(email, request.ip), () => service.authenticate(email, password, { ip: request.ip }));
    if (!user) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    const issued = await service.issueToken(user, clientOf(request));
    setAuthCookie(reply, options, issued.token);
    markSessionChange(request, issued.digest);
    return reply.code(204).send(null);
  });

  app.post('/logout', {
    preHandler: authenticate,
    schema: { tags: TAG, operationId: 'logout', summary: 'Revoke the presented token', security: [{ OAuth2PasswordBearer: [] }], response: { 204: NoContent, 401: ErrorBody } },
  }, async (request, reply) => {
    await service.revokeToken(request.authSession.digest);
    clearAuthCookie(reply, options);
    markSessionChange(request, null);
    return reply.code(204).send(null);
  });
};

function clientOf(request: { headers: Record<string, string | string[] | undefined>; ip: string }) {
  const agent = request.headers['user-agent'];
  return { userAgent: typeof agent === 'string' ? agent : null, ip: request.ip };
}
