import type { FastifyReply, FastifyRequest } from 'fastify';
import { macFor, verifyMac } from '../../core/keyed-mac.js';
import type { ResolvedAuthOptions } from '../../core/options.js';
import { generateToken } from '../../core/token.js';
import { EMAIL_SIGN_IN_LIFETIME_SECONDS } from './email-sign-in.js';

/** Keeps this cookie's MAC apart from every other use of the secret key. */
const PURPOSE = 'email-sign-in-binding!';
/** `<binding, 43 base64url>.<HMAC, 43 base64url>`: nothing else is read. */
const SHAPE = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/** The cookie binding a request to the browser that asked: the auth cookie's name with `_email` (a `__Host-` prefix carries over). */
export function bindingCookieName(options: ResolvedAuthOptions): string {
  return `${options.authCookieName}_email`;
}

function attributes(options: ResolvedAuthOptions) {
  return { path: '/', httpOnly: true, secure: options.cookieSecure, sameSite: 'lax' as const };
}

/**
 * A fresh binding for a new request, set as a signed, HttpOnly cookie that lives as long as the
 * request: each request gets its own, so nobody can know a browser's binding in advance (a
 * planted cookie would be unsigned or stale). Returns the binding, whose digest the request stores.
 */
export function startBinding(reply: FastifyReply, options: ResolvedAuthOptions): string {
  const binding = generateToken();
  const mac = macFor(options.secretKey, PURPOSE, binding);
  reply.setCookie(bindingCookieName(options), `${binding}.${mac}`, { ...attributes(options), maxAge: EMAIL_SIGN_IN_LIFETIME_SECONDS });
  return binding;
}

/** The browser's binding, when its cookie is well-formed and signed by us (fallback keys too); else `undefined`. */
export function readBinding(request: FastifyRequest, options: ResolvedAuthOptions): string | undefined {
  const match = SHAPE.exec(request.cookies?.[bindingCookieName(options)] ?? '');
  if (!match) return undefined;
  return verifyMac([options.secretKey, ...options.secretKeyFallbacks], PURPOSE, match[1]!, match[2]!) ? match[1] : undefined;
}

/** Ends the binding once its request signed the browser in. */
export function clearBinding(reply: FastifyReply, options: ResolvedAuthOptions): void {
  reply.clearCookie(bindingCookieName(options), attributes(options));
}
