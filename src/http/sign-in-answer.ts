import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientInfo } from '../core/auth-service.js';
import { AuthError } from '../core/errors.js';
import type { ResolvedAuthOptions } from '../core/options.js';
import type { SignInResult } from '../core/sign-in.js';
import { clearPendingSignIn, hasPendingSignIn, startPendingSignIn } from './pending-sign-in.js';
import { recordSessionOpened } from './session-change.js';
import { setAuthCookie } from './transport.js';

/** The body of a bearer sign-in (RFC 6749 §5.1). */
export interface BearerAnswer {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/**
 * How a browser sign-in ended: the auth cookie is set, the pending-sign-in cookie waits for the
 * code, or the session in use was kept (a provider identity linked to it).
 */
export type BrowserAnswer = 'signed-in' | 'second-factor-required' | 'session-kept';

/** Where a session is opened from (user agent and address), for the sessions list. */
export function clientInfoOf(request: { headers: Record<string, string | string[] | undefined>; ip: string }): ClientInfo {
  const agent = request.headers['user-agent'];
  return { userAgent: typeof agent === 'string' ? agent : null, ip: request.ip };
}

/**
 * The one place a sign-in's result becomes an HTTP answer (docs/architecture.md, "Sign-in").
 *
 * `bearer` (`POST /token`): the token as JSON, not cacheable (RFC 6749 §5.1: `Cache-Control:
 * no-store`, `Pragma: no-cache`); a second factor still due is 401 `LOGIN_OTP_REQUIRED`, since a
 * bearer client sends its code with the password.
 *
 * `cookie` (browsers): the auth cookie, and the CSRF cookie rotated with the new session through
 * the session-change slot (OWASP CSRF Prevention CS, tokens bound to the session); a pending
 * sign-in is ended. A second factor still due sets the pending-sign-in cookie instead, to finish
 * with `POST /login/otp` and the code alone, so the password is kept nowhere meanwhile.
 */
export function answerSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ResolvedAuthOptions,
  result: SignInResult,
  transport: 'bearer',
): BearerAnswer;
export function answerSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ResolvedAuthOptions,
  result: SignInResult,
  transport: 'cookie',
): BrowserAnswer;
export function answerSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ResolvedAuthOptions,
  result: SignInResult,
  transport: 'bearer' | 'cookie',
): BearerAnswer | BrowserAnswer {
  if (transport === 'bearer') {
    if (result.kind === 'second-factor-required') throw new AuthError('LOGIN_OTP_REQUIRED');
    if (result.kind !== 'session') throw new Error('a bearer sign-in cannot keep a session');
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return { access_token: result.issued.token, token_type: 'bearer', expires_in: result.issued.expiresIn };
  }
  if (result.kind === 'session-kept') return 'session-kept';
  if (result.kind === 'second-factor-required') {
    startPendingSignIn(reply, options, result.user, result.amr);
    return 'second-factor-required';
  }
  if (hasPendingSignIn(request, options)) clearPendingSignIn(reply, options);
  setAuthCookie(reply, options, result.issued.token);
  recordSessionOpened(request, result.issued.digest);
  return 'signed-in';
}
