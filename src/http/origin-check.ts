import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../core/errors.js';
import type { ResolvedAuthOptions } from '../core/options.js';
import { markRefused, SAFE_METHODS } from './csrf.js';
import type { ProtectionScope } from './protection-scope.js';
import { sendError } from './reply-error.js';

/**
 * True when an unsafe request may proceed as far as its origin goes (docs/security.md):
 *
 * - an `Origin` header must be this server's own origin or one of `allowed` — exact string
 *   comparison of serialised origins (RFC 6454 §6.1), so `http://evil-example.com` is not
 *   `http://example.com` and `null` (sandboxed frames, `data:` pages, some redirects) is foreign
 *   unless listed;
 * - without `Origin`, `Sec-Fetch-Site: cross-site` (Fetch Metadata, W3C) is refused;
 * - with neither, the caller is not a browser (curl, a server, a mobile app) and is allowed.
 *
 * This is what stops login CSRF, which double submit cannot: a cross-site form that logs the
 * victim into the attacker's account carries no auth cookie yet (OWASP CSRF Prevention Cheat
 * Sheet, "Login CSRF" and "Verifying Origin With Standard Headers").
 */
export function isOriginAllowed(origin: string | undefined, fetchSite: string | undefined, ownOrigin: string | null, allowed: ReadonlySet<string>): boolean {
  if (origin !== undefined) return origin === ownOrigin || allowed.has(origin);
  return fetchSite !== 'cross-site';
}

/**
 * This server's own origin: `publicUrl`'s when configured (the address users type, right behind a
 * proxy too), else the request's scheme and `Host`. A browser cannot forge `Host` for a request
 * it sends cross-origin, so the fallback cannot be turned into a bypass.
 */
export function ownOriginOf(request: FastifyRequest, publicUrl: string | undefined): string | null {
  if (publicUrl !== undefined) return new URL(publicUrl).origin;
  try {
    // Through URL so a default port in Host (`example.com:80`) serialises as browsers send it.
    return new URL(`${request.protocol}://${request.host}`).origin;
  } catch {
    return null; // an unparsable Host matches no Origin
  }
}

/**
 * Installs the Origin / Fetch Metadata check on every unsafe request of `app` — `/login` and
 * `/register` included, with or without cookies — before the route runs.
 */
export function registerOriginCheck(app: FastifyInstance, options: ResolvedAuthOptions, scope: ProtectionScope): void {
  const allowed: ReadonlySet<string> = new Set(options.corsOrigins);
  const fixedOrigin = options.publicUrl !== undefined ? new URL(options.publicUrl).origin : undefined;

  // Synchronous (callback style): it runs on every request, and an async hook costs a promise.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (SAFE_METHODS.has(request.method) || !scope.appliesTo(request)) return done();
    const origin = single(request.headers.origin);
    const fetchSite = single(request.headers['sec-fetch-site']);
    // This server's origin is only needed to compare an Origin header with (parsing Host is ~0.6 µs).
    const ownOrigin = origin === undefined ? null : (fixedOrigin ?? ownOriginOf(request, undefined));
    if (!isOriginAllowed(origin, fetchSite, ownOrigin, allowed)) {
      markRefused(request);
      sendError(reply, new AuthError('ORIGIN_NOT_ALLOWED')); // answered: done() is not called
      return;
    }
    done();
  });
}

/** A header sent twice is not trusted as either value. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? '\u0000invalid' : value;
}
