import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedAuthOptions } from '../core/options.js';
import { digestToken } from '../core/token.js';
import { kAuthCookieDigest } from './request-state.js';

/**
 * Reads the credential of a request: the `Authorization: Bearer` header when present, else the
 * auth cookie (docs/api.md). Never the query string or body (RFC 6750 §2.3 discourages it: URLs end
 * up in logs and Referer headers).
 */
export function readToken(request: FastifyRequest, cookieName: string): { token: string; via: 'bearer' | 'cookie' } | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    // RFC 6750 §2.1: the scheme is case-insensitive, one or more spaces, then the token.
    const match = /^Bearer +([^\s]+) *$/i.exec(header);
    return match ? { token: match[1]!, via: 'bearer' } : null;
  }
  const cookie = request.cookies?.[cookieName];
  return cookie ? { token: cookie, via: 'cookie' } : null;
}

/**
 * The SHA-256 digest of the auth cookie's token, `''` without one: what CSRF tokens are bound to,
 * and the session's key in the store. Computed once per request: the CSRF check and the guard of
 * the same request both need it.
 */
export function authCookieDigest(request: FastifyRequest, cookieName: string): string {
  const known = request[kAuthCookieDigest];
  if (known !== undefined) return known;
  const cookie = request.cookies?.[cookieName];
  const digest = cookie ? digestToken(cookie) : '';
  // Not kept before the cookie parser ran (request.cookies unset): it would be wrong for good.
  if (request.cookies !== undefined) request[kAuthCookieDigest] = digest;
  return digest;
}

/** Sets the auth cookie: `HttpOnly; Secure; SameSite=Lax; Path=/` with `Max-Age`, no `Domain`. */
export function setAuthCookie(reply: FastifyReply, options: ResolvedAuthOptions, token: string): void {
  reply.setCookie(options.authCookieName, token, {
    maxAge: options.accessTokenLifetime,
    path: '/',
    httpOnly: true,
    secure: options.cookieSecure,
    sameSite: 'lax',
  });
}

/** Clears the auth cookie with the same attributes it was set with. */
export function clearAuthCookie(reply: FastifyReply, options: ResolvedAuthOptions): void {
  reply.clearCookie(options.authCookieName, {
    path: '/',
    httpOnly: true,
    secure: options.cookieSecure,
    sameSite: 'lax',
  });
}
