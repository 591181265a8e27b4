import helmet from 'helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of the server's own pages (the web page at `/`). Scripts and styles
 * only from this origin, no inline script, no plugins, no framing; `fetch` only to this origin.
 * `/docs` (Swagger UI, `staticCSP: true`) sends its own policy with hashes for its inline code.
 * No `upgrade-insecure-requests`: HSTS does that job on HTTPS, and on plain-HTTP development
 * (`COOKIE_SECURE=false`) it would break every sub-resource.
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

/**
 * The headers helmet sets with our policy, read off it once: helmet's middleware is static (it
 * never looks at the request), so what it writes on one response it writes on all of them. helmet
 * stays the source of the policy; we only avoid running it — and Node's header validation twice
 * over — on every request.
 */
export function helmetHeaders(): Record<string, string> {
  const apply = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  apply({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // helmet 8 runs synchronously; a future version that did not would be caught here, at start.
  if (!finished) throw new Error('helmet did not finish synchronously');
  return headers;
}

/** True for JSON media types (`application/json`, `application/problem+json`, …). */
const JSON_TYPE = /\bjson\b/;

/**
 * Security headers on every response of `app` (docs/security.md): helmet's set —
 * `Strict-Transport-Security` (1 year, subdomains; RFC 6797), `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options`, `Referrer-Policy: no-referrer`, Cross-Origin-{Opener,Resource}-Policy, … —
 * with {@link CONTENT_SECURITY_POLICY}; and `Cache-Control: no-store` on every JSON response, so
 * user data and tokens never sit in a shared or browser cache (ASVS 8.2.1, OWASP Session
 * Management CS). The server registers this; a library host with its own header policy simply
 * does not (the plugin does not impose a CSP on the host's pages).
 *
 * The set is computed once ({@link helmetHeaders}) and added to each reply in a synchronous hook:
 * running helmet per request (as `@fastify/helmet` does, rebuilding it each time) cost about a
 * tenth of the server's CPU on the bearer hot path (docs/BENCHMARKS.md). A route's own
 * `reply.header()` of the same name still wins (as Swagger UI's CSP does), being set later.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const headers = helmetHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.hasHeader('cache-control')) return done(null, payload);
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && JSON_TYPE.test(type)) {
      reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
}
