import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { macFor, verifyMac } from '../core/keyed-mac.js';
import type { ResolvedAuthOptions } from '../core/options.js';
import type { AuthenticationMethod } from '../core/sign-in.js';
import type { User } from '../core/user.js';

/** A pending sign-in waits this long for its one-time code (docs/two-factor.md). */
export const PENDING_SIGN_IN_SECONDS = 5 * 60;

/** The first factors a pending sign-in can stand on: a password, an identity provider, or a mailed link or code. */
const FIRST_FACTORS: readonly AuthenticationMethod[] = ['pwd', 'fed', 'email'];

/** `<user id>.<expiry, unix seconds>.<first factor>.<nonce>.<HMAC>`: nothing else is read. */
const PENDING_SHAPE = /^(\d{1,10})\.(\d{1,12})\.(pwd|fed|email)\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The cookie holding a pending sign-in: the auth cookie's name with `_pending` (a `__Host-` prefix carries over). */
export function pendingSignInCookieName(options: ResolvedAuthOptions): string {
  return `${options.authCookieName}_pending`;
}

/** A purpose label keeps this MAC apart from every other use of the same key (CSRF tokens). */
const PURPOSE = 'pending-sign-in!';

/** A pending sign-in, as its cookie names it once the MAC has been checked against the user. */
export interface PendingSignIn {
  user: User;
  /** The factor that passed (`pwd`, `fed` or `email`), recorded with `otp` in the session's `amr`. */
  firstFactor: AuthenticationMethod;
  /** The cookie's random id: claimed once in the shared counters when the sign-in finishes. */
  nonce: string;
}

/**
 * What the MAC covers. The digest of the user's stored password hash is in it, so changing the
 * password (or setting a first one) kills every pending sign-in of the account: a code typed
 * after a password reset cannot finish a sign-in that an old password began (OWASP Session
 * Management CS, "Renew the session ID after any privilege level change").
 */
function macMessage(userId: number, expires: number, firstFactor: string, nonce: string, user: User): string {
  const passwordDigest = createHash('sha256').update(user.hashedPassword).digest('base64url');
  return `${userId}!${expires}!${firstFactor}!${nonce}!${passwordDigest}`;
}

/**
 * Starts a pending sign-in: the first factor passed (a password, or an identity provider's
 * callback) but the account has TOTP, so instead of the auth cookie the browser gets a signed,
 * 5-minute, HttpOnly cookie naming the user; `POST /login/otp` with a good code then finishes
 * it, once. The cookie is HMAC-SHA256 with `SECRET_KEY` (fallback keys still verify), so it
 * cannot be forged or pointed at another user; it holds no credential, only who is half signed
 * in and how.
 */
export function startPendingSignIn(reply: FastifyReply, options: ResolvedAuthOptions, user: User, firstFactor: readonly AuthenticationMethod[]): void {
  const factor = firstFactor.find((method) => FIRST_FACTORS.includes(method)) ?? 'pwd';
  const expires = Math.floor(options.now().getTime() / 1000) + PENDING_SIGN_IN_SECONDS;
  const nonce = randomBytes(16).toString('base64url');
  const mac = macFor(options.secretKey, PURPOSE, macMessage(user.id, expires, factor, nonce, user));
  reply.setCookie(pendingSignInCookieName(options), `${user.id}.${expires}.${factor}.${nonce}.${mac}`, {
    maxAge: PENDING_SIGN_IN_SECONDS,
    path: '/',
    httpOnly: true,
    secure: options.cookieSecure,
    sameSite: 'lax',
  });
}

/**
 * The request's pending sign-in, if its cookie is well-formed, unexpired, names an active user
 * and is validly signed for that user's current password; else `null`. `findUser` reads the user.
 */
export async function readPendingSignIn(
  request: FastifyRequest,
  options: ResolvedAuthOptions,
  findUser: (id: number) => Promise<User | null>,
): Promise<PendingSignIn | null> {
  const match = PENDING_SHAPE.exec(request.cookies?.[pendingSignInCookieName(options)] ?? '');
  if (!match) return null;
  const userId = Number(match[1]);
  const expires = Number(match[2]);
  const firstFactor = match[3] as AuthenticationMethod;
  const nonce = match[4]!;
  if (expires * 1000 <= options.now().getTime()) return null;
  const user = await findUser(userId);
  if (!user || !user.isActive) return null;
  const valid = verifyMac([options.secretKey, ...options.secretKeyFallbacks], PURPOSE, macMessage(userId, expires, firstFactor, nonce, user), match[5]!);
  return valid ? { user, firstFactor, nonce } : null;
}

/** Whether the request carries a pending-sign-in cookie at all (to clear it once a session opens). */
export function hasPendingSignIn(request: FastifyRequest, options: ResolvedAuthOptions): boolean {
  return request.cookies?.[pendingSignInCookieName(options)] !== undefined;
}

/** Ends the pending sign-in (after success). */
export function clearPendingSignIn(reply: FastifyReply, options: ResolvedAuthOptions): void {
  reply.clearCookie(pendingSignInCookieName(options), { path: '/', httpOnly: true, secure: options.cookieSecure, sameSite: 'lax' });
}
