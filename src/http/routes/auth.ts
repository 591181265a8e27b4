import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import { toPublicUser } from '../../core/user.js';
import { ErrorBody, LoginForm, NoContent, PublicUser, RegisterBody, TokenForm, TokenResponse } from '../schemas.js';
import { requireMediaType } from '../media-type.js';
import { clearAuthCookie, setAuthCookie } from '../transport.js';
import type { preHandlerAsyncHookHandler } from 'fastify';

export interface AuthRoutesOptions {
  service: AuthService;
  authenticate: preHandlerAsyncHookHandler;
}

const TAG = ['auth'];

/** `POST /register`, `POST /token`, `POST /login`, `POST /logout` (SPEC §4, first table). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { service, authenticate }) => {
  const options = service.options;

  app.post('/register', {
    preValidation: requireMediaType('application/json'),
    schema: {
      tags: TAG,
      summary: 'Create an account',
      body: RegisterBody,
      response: { 201: PublicUser, 400: ErrorBody, 415: ErrorBody, 422: ErrorBody },
    },
  }, async (request, reply) => {
    // Only email and password are read: `is_superuser`, `id`, … in the body are ignored.
    const user = await service.register(request.body.email, request.body.password);
    return reply.code(201).send(toPublicUser(user));
  });

  app.post('/token', {
    preValidation: requireMediaType('application/x-www-form-urlencoded'),
    schema: {
      tags: TAG,
      summary: 'OAuth2 password grant: trade email and password for a bearer token',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenForm,
      response: { 200: TokenResponse, 401: ErrorBody, 415: ErrorBody, 422: ErrorBody },
    },
  }, async (request, reply) => {
    const user = await service.authenticate(request.body.username, request.body.password);
    if (!user) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    const issued = await service.issueToken(user, clientOf(request));
    // RFC 6749 §5.1: token responses must not be cached.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return { access_token: issued.token, token_type: 'bearer' as const, expires_in: issued.expiresIn };
  });

  app.post('/login', {
    preValidation: requireMediaType('application/x-www-form-urlencoded'),
    schema: {
      tags: TAG,
      summary: 'Log in with a cookie (browsers)',
      consumes: ['application/x-www-form-urlencoded'],
      body: LoginForm,
      response: { 204: NoContent, 401: ErrorBody, 415: ErrorBody, 422: ErrorBody },
    },
  }, async (request, reply) => {
    const user = await service.authenticate(request.body.email, request.body.password);
    if (!user) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    const issued = await service.issueToken(user, clientOf(request));
    setAuthCookie(reply, options, issued.token);
    request.issuedSessionDigest = issued.digest;
    return reply.code(204).send(null);
  });

  app.post('/logout', {
    preHandler: authenticate,
    schema: { tags: TAG, summary: 'Revoke the presented token', security: [{ OAuth2PasswordBearer: [] }], response: { 204: NoContent, 401: ErrorBody } },
  }, async (request, reply) => {
    await service.revokeToken(request.session.digest);
    clearAuthCookie(reply, options);
    request.issuedSessionDigest = null;
    return reply.code(204).send(null);
  });
};

function clientOf(request: { headers: Record<string, string | string[] | undefined>; ip: string }) {
  const agent = request.headers['user-agent'];
  return { userAgent: typeof agent === 'string' ? agent : null, ip: request.ip };
}
