import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { isInstalled, missingPackage, type OptionalPackage } from '../optional-packages.js';
import type { DocsOptions } from './docs-app.js';

/** The optional peer dependencies the docs load on first use. */
const DOCS_PACKAGES: OptionalPackage[] = ['@fastify/swagger', '@fastify/swagger-ui'];

/** Those of {@link DOCS_PACKAGES} not installed: the docs can be served when this is empty. */
export function missingDocsPackages(): OptionalPackage[] {
  return DOCS_PACKAGES.filter((name) => !isInstalled(name));
}

/** Request headers that matter to Swagger UI's pages and assets (caching, compression, ranges). */
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range'];
/** Response headers that describe the connection or the framing, which this server sets itself. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * OpenAPI 3 at `/openapi.json` and Swagger UI at `/docs`, with the `oauth2` password flow whose
 * `tokenUrl` is `/token` — FastAPI's `OAuth2PasswordBearer`, so "Authorize" in the docs logs in.
 * Register before `fastifyUsers` so its routes are collected.
 *
 * The routes are recorded as they are declared; @fastify/swagger and Swagger UI are loaded, in an
 * app of their own (docs-app.ts), on the first request for the document or the page, whose answers
 * are then passed on — with this app's headers and its 404.
 */
export async function registerOpenAPI(app: FastifyInstance, options: DocsOptions = {}): Promise<void> {
  // Checked now, loaded later: a missing package is a start-up error, not a 500 on the first visit.
  const [missing] = missingDocsPackages();
  if (missing) throw missingPackage('registerOpenAPI', missing, '/docs');
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    // Hidden routes (these docs routes among them) are left out of the document anyway.
    if (!(route.schema as { hide?: boolean } | undefined)?.hide) routes.push(route);
  });
  let docs: Promise<FastifyInstance> | undefined;
  const docsApp = (): Promise<FastifyInstance> =>
    (docs ??= import('./docs-app.js')
      .then(({ buildDocsApp }) => buildDocsApp(routes, options))
      .catch((error: unknown) => {
        docs = undefined; // a failed build is retried by the next request
        throw error;
      }));
  app.addHook('onClose', async () => {
    await (await docs?.catch(() => undefined))?.close();
  });

  // @fastify/swagger builds the document once and keeps it.
  app.get('/openapi.json', { schema: { hide: true } }, async () => (await docsApp()).swagger());

  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await (await docsApp()).inject({ method: 'GET', url: request.url, headers });
    if (answer.statusCode === 404) return reply.callNotFound();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !CONNECTION_HEADERS.has(name)) reply.header(name, value);
    }
    return reply.code(answer.statusCode).send(answer.rawPayload);
  };
  app.get('/docs', { schema: { hide: true } }, forward);
  app.get('/docs/*', { schema: { hide: true } }, forward);
}
