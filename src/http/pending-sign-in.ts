import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedAuthOptions } from '../core/options.js';
import { macFor, verifyMac } from '../core/keyed-mac.js';

/** A pending sign-in waits this long for its one-time code (docs/two-factor.md). */
export const PENDING_SIGN_IN_SECONDS = 5 * 60;

/** `<user id>.<expiry, unix seconds>.<HMAC>`: nothing else is read. */
const PENDING_SHAPE = /^(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** The cookie holding a pending sign-in: the auth cookie's name with `_pending` (a `__Host-` prefix carries over). */
export function pendingSignInCookieName(options: ResolvedAuthOptions): string {
  return `${options.authCookieName}_pending`;
}

/** A purpose label keeps this MAC apart from every other use of the same key (CSRF tokens). */
const PURPOSE = 'pending-sign-in!';

/**
 * Starts a pending sign-in: the first factor passed (a password, or an identity provider's
 * callback) but the account has TOTP, so instead of the auth cookie the browser gets a signed,
 * 5-minute, HttpOnly cookie naming the user; `POST /login/otp` with a good code then finishes
 * it. The cookie is HMAC-SHA256 with `SECRET_KEY` (fallback keys still verify), so it cannot be
 * forged or pointed at another user; it holds no credential, only who is half signed in.
 */
export function startPendingSignIn(reply: FastifyReply, options: ResolvedAuthOptions, user: { id: number }): void {
  const expires = Math.floor(options.now().getTime() / 1000) + PENDING_SIGN_IN_SECONDS;
  reply.setCookie(pendingSignInCookieName(options), `${user.id}.${expires}.${macFor(options.secretKey, PURPOSE, `${user.id}!${expires}`)}`, {
    maxAge: PENDING_SIGN_IN_SECONDS,
    path: '/',
    httpOnly: true,
    secure: options.cookieSecure,
    sameSite: 'lax',
  });
}

/** The user id of the request's pending sign-in, if its cookie is well-formed, validly signed and unexpired; else `null`. */
export function readPendingSignIn(request: FastifyRequest, options: ResolvedAuthOptions): number | null {
  const match = PENDING_SHAPE.exec(request.cookies?.[pendingSignInCookieName(options)] ?? '');
  if (!match) return null;
  const userId = Number(match[1]);
  const expires = Number(match[2]);
  const valid = verifyMac([options.secretKey, ...options.secretKeyFallbacks], PURPOSE, `${userId}!${expires}`, match[3]!);
  return valid && expires * 1000 > options.now().getTime() ? userId : null;
}

/** Ends the pending sign-in (after success). */
export function clearPendingSignIn(reply: FastifyReply, options: ResolvedAuthOptions): void {
  reply.clearCookie(pendingSignInCookieName(options), { path: '/', httpOnly: true, secure: options.cookieSecure, sameSite: 'lax' });
}
