import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { ResolvedAuthOptions } from '../core/options.js';
import type { ProtectionScope } from './protection-scope.js';
import { DEFAULT_CSRF_HEADER_NAME } from '../core/options.js';

/** Methods a cross-origin front end may use (the routes of docs/api.md). */
export const CORS_METHODS = ['GET', 'POST', 'PATCH', 'DELETE'];
/** Request headers a cross-origin front end may send. */
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type', DEFAULT_CSRF_HEADER_NAME];

/**
 * CORS for the origins in `corsOrigins` only (docs/security.md), with `@fastify/cors`:
 *
 * - the request's origin is echoed when it is listed, by exact string match — never `*`, which
 *   the Fetch standard forbids with credentials, and never a suffix or regex (a
 *   `evil-example.com` must not pass for `example.com`);
 * - `Access-Control-Allow-Credentials: true` so cookies travel, and `Vary: Origin` so caches do
 *   not serve one origin's answer to another;
 * - preflight is answered in `onRequest`, before authentication and the CSRF/Origin checks
 *   (it carries no credentials; Fetch standard §3.2.5).
 *
 * Skipped when the host app registered `@fastify/cors` itself. Routes outside the protection
 * scope (see protection-scope.ts) get no CORS headers from us.
 */
export async function registerCORS(app: FastifyInstance, options: ResolvedAuthOptions, scope: ProtectionScope): Promise<void> {
  if (app.hasPlugin('@fastify/cors')) return;
  // With no origin listed no answer depends on `Origin` (none ever gets a CORS header, a preflight
  // is a plain 404 either way), so no hook runs at all: `@fastify/cors` with a per-request
  // delegator rebuilds its options on every request, measured at ~8 % of a bearer request's CPU
  // (docs/BENCHMARKS.md). A deployment that lists origins pays that, and only it.
  if (options.corsOrigins.length === 0) return;
  const allowed: ReadonlySet<string> = new Set(options.corsOrigins);
  const corsOptions = {
    // The listed origin itself, or false: a foreign origin gets no CORS header at all (its
    // preflight is a plain 404), and `*` can never come out of it.
    origin: (origin: string | undefined, callback: (error: Error | null, origin: string | false) => void) => {
      callback(null, origin !== undefined && allowed.has(origin) ? origin : false);
    },
    credentials: true,
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    // Browsers cache the preflight answer for this many seconds (Chromium caps at 7200).
    maxAge: 600,
  };
  const outOfScope = { ...corsOptions, origin: false as const };
  await app.register(fastifyCors, {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
      const inScope = preflight ? scope.appliesToPreflight(request) : scope.appliesTo(request);
      callback(null, inScope ? corsOptions : outOfScope);
    },
  });
}
