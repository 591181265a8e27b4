import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { macFor, verifyMac } from '../core/keyed-mac.js';
import { AuthError } from '../core/errors.js';
import { DEFAULT_CSRF_HEADER_NAME, type ResolvedAuthOptions } from '../core/options.js';
import { constantTimeEqual } from '../core/token.js';
import { authCookieDigest } from './transport.js';
import { sendError } from './reply-error.js';
import type { ProtectionScope } from './protection-scope.js';
import { kIssuedCSRFToken, kRefused } from './request-state.js';
import { sessionChangeOf } from './session-change.js';

/** Methods that must not change state (RFC 9110 §9.2.1); everything else is checked. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Marks a request refused by the Origin or CSRF check: its response must change nothing, so no CSRF cookie is minted. */
export function markRefused(request: FastifyRequest): void {
  request[kRefused] = true;
}

/** Verified CSRF pairs remembered per instance (about 200 bytes each). */
const VERIFIED_TOKENS_KEPT = 10_000;

/** Bytes of randomness in a CSRF token's public half. */
const CSRF_RANDOM_BYTES = 32;
/** `<43 base64url chars>.<43 base64url chars>`: anything else is refused before any HMAC. */
const CSRF_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

function sign(key: string, sessionDigest: string, random: string): string {
  // The '!' separator keeps (digest, random) unambiguous: a digest is hex, a random base64url.
  // No purpose label: the tokens already issued stay valid; the other uses of the key carry one.
  return macFor(key, '', `${sessionDigest}!${random}`);
}

/**
 * Mints a CSRF token bound to a session: `<random>.<HMAC-SHA256(key, sessionDigest + "!" + random)>`.
 * OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie": binding the HMAC to the auth
 * session means a cookie an attacker planted (from a sibling subdomain, or their own session)
 * does not verify for the victim's session — the flaw of fastify-csrf's CVE-2021-29624.
 * `sessionDigest` is the SHA-256 digest of the auth cookie's token, or `''` without one.
 */
export function mintCSRFToken(key: string, sessionDigest: string): string {
  const random = randomBytes(CSRF_RANDOM_BYTES).toString('base64url');
  return `${random}.${sign(key, sessionDigest, random)}`;
}

/**
 * True when `token` was signed by one of `keys` for `sessionDigest`. All keys verify (the first
 * signs; older ones are for rotation), every comparison in constant time.
 */
export function verifyCSRFToken(token: string, sessionDigest: string, keys: readonly string[]): boolean {
  if (!CSRF_TOKEN_SHAPE.test(token)) return false;
  const [random, mac] = token.split('.') as [string, string];
  return verifyMac(keys, '', `${sessionDigest}!${random}`, mac);
}

/**
 * Installs the CSRF rule of docs/security.md on every route of `app` (its own and the host's):
 *
 * - an unsafe request that carries the auth cookie must carry `x-csrftoken` equal to the
 *   `csrftoken` cookie and signed for the current session, else 403 `CSRF_TOKEN_INVALID` before
 *   the route runs (onRequest, so no body is even parsed);
 * - requests without the auth cookie (bearer clients, a first login) are not asked: there is no
 *   ambient credential to abuse (login CSRF is the Origin check's job, see origin-check.ts);
 * - only the header counts: a form field or query parameter could be set by a cross-site form;
 * - responses of the plugin's own routes (the context given to {@link CSRFTokens.mintOn}) set a
 *   fresh cookie when the request had none (bearer-only requests excepted), when a safe request's
 *   token does not verify for its session, and whenever a route changed the session
 *   (`recordSessionOpened`/`recordSessionEnded`, by sign-in and /logout): rotation, so a token seen before login is
 *   useless after it. The host's routes are checked but never mint: a `Set-Cookie` on every
 *   anonymous page would keep shared caches (a CDN) from storing public pages (RFC 9111 §3:
 *   caches commonly refuse or strip responses that set cookies);
 * - a route that hands the token out in its body (`GET /csrf`, through the returned
 *   {@link CSRFTokens}) sets that same token as the cookie.
 */
export function registerCSRF(app: FastifyInstance, options: ResolvedAuthOptions, scope: ProtectionScope): CSRFTokens {
  const keys = [options.secretKey, ...options.secretKeyFallbacks];
  const cookieName = options.csrfCookieName;
  const authCookieName = options.authCookieName;
  // Pairs already verified, token → the session digest it verified for. With the keys fixed for
  // the life of the process, a token's HMAC for a session cannot stop verifying, so the answer can
  // be remembered: an HMAC is most of an unsafe request's CSRF cost (docs/BENCHMARKS.md). Only a
  // verified pair is kept, under the exact digest: a token never passes for another session.
  // A Map bounded first in, first out: a pair that leaves is only verified again.
  const verified = new Map<string, string>();
  const verifies = (token: string, sessionDigest: string): boolean => {
    if (verified.get(token) === sessionDigest) return true;
    if (!verifyCSRFToken(token, sessionDigest, keys)) return false;
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, sessionDigest);
    return true;
  };

  // Both hooks are synchronous (callback style): the check runs on every request of the host app,
  // the minting on every one of ours, and an async hook costs a promise and a microtask each time
  // (docs/BENCHMARKS.md).
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookDone) => {
    if (SAFE_METHODS.has(request.method) || !request.cookies?.[authCookieName] || !scope.appliesTo(request)) return done();
    const cookie = request.cookies[cookieName];
    const header = request.headers[DEFAULT_CSRF_HEADER_NAME];
    const valid =
      typeof cookie === 'string' &&
      typeof header === 'string' &&
      constantTimeEqual(header, cookie) &&
      verifies(cookie, authCookieDigest(request, authCookieName));
    if (!valid) {
      markRefused(request);
      sendError(reply, new AuthError('CSRF_TOKEN_INVALID')); // answered: done() is not called
      return;
    }
    done();
  });

  return {
    mintOn(context: FastifyInstance): void {
      context.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
        const issued = request[kIssuedCSRFToken];
        if (issued !== undefined || needsFreshToken(request)) {
          // After login/logout the token binds to the new session (none after logout), else to the current one.
          const digest = sessionChangeOf(request) !== undefined ? (sessionChangeOf(request) ?? '') : authCookieDigest(request, authCookieName);
          reply.setCookie(cookieName, issued ?? mintCSRFToken(options.secretKey, digest), {
            path: '/',
            sameSite: 'lax',
            secure: options.cookieSecure,
            // Not HttpOnly: the page's script must read it to echo it in the header (double submit).
            httpOnly: false,
          });
        }
        done(null, payload);
      });
    },
    tokenFor(request: FastifyRequest): string {
      const digest = authCookieDigest(request, authCookieName);
      const current = request.cookies?.[cookieName];
      if (current && verifies(current, digest)) return current;
      return (request[kIssuedCSRFToken] ??= mintCSRFToken(options.secretKey, digest));
    },
  };

  /** Whether the response must carry a new CSRF cookie (see above). */
  function needsFreshToken(request: FastifyRequest): boolean {
    // A bearer client (Authorization header, no auth cookie) has no ambient credential to protect
    // and is no browser page that could echo the cookie: minting one per API call would only cost
    // the hot path an HMAC and a Set-Cookie (docs/BENCHMARKS.md).
    // An API key in `X-API-Key` (docs/api-keys.md) is such a client too.
    if ((request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined) && !request.cookies?.[authCookieName]) return false;
    // A refused request changes nothing, its CSRF cookie included; a CORS preflight needs none.
    if (request[kRefused] || request.method === 'OPTIONS' || !scope.appliesTo(request)) return false;
    // Login and logout changed the session: rotate.
    if (sessionChangeOf(request) !== undefined) return true;
    const current = request.cookies?.[cookieName];
    if (!current) return true;
    // An unsafe request keeps its token (with the auth cookie it was verified on the way in; without
    // one it guards nothing yet); a safe one gets a fresh token when its own does not verify.
    return SAFE_METHODS.has(request.method) && !verifies(current, authCookieDigest(request, authCookieName));
  }
}

/** Minting of the CSRF cookie on the plugin's routes, and a request's token for `GET /csrf` (routes/csrf.ts). */
export interface CSRFTokens {
  /** Sets the CSRF cookie on the responses of `context`'s routes (the plugin's own), as described at {@link registerCSRF}. */
  mintOn(context: FastifyInstance): void;
  /**
   * The token valid for this request's session: the `csrftoken` cookie's when it verifies, else a
   * fresh one bound to the session exactly as a minted cookie is, which the response then sets as
   * its cookie — so the body and the cookie always agree.
   */
  tokenFor(request: FastifyRequest): string;
}

/** The `done` of a callback-style hook. */
type HookDone = (error?: Error) => void;
