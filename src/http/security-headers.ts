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
 * Security headers on every response of `app` (SPEC §5): helmet's set —
 * `Strict-Transport-Security` (1 year, subdomains; RFC 6797), `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options`, `Referrer-Policy: no-referrer`, Cross-Origin-{Opener,Resource}-Policy, … —
 * with {@link CONTENT_SECURITY_POLICY}; and `Cache-Control: no-store` on every JSON response, so
 * user data and tokens never sit in a shared or browser cache (ASVS 8.2.1, OWASP Session
 * Management CS). The server registers this; a library host with its own header policy simply
 * does not (the plugin does not impose a CSP on the host's pages).
 *
 * helmet itself, built once: `@fastify/helmet` rebuilds the middleware (and re-parses the CSP) on
 * every request, which cost about a tenth of the server's CPU on the bearer hot path
 * (docs/BENCHMARKS.md). Headers set here on the raw response are overridden by a route's own
 * `reply.header()` of the same name (as Swagger UI does for its CSP).
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  const applyHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  app.addHook('onRequest', (request, reply, done) => {
    applyHeaders(request.raw, reply.raw, (error) => done(error as Error | undefined));
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && /\bjson\b/.test(type) && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}
