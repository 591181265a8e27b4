import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';

export interface DocsOptions {
  /** Where Swagger UI's "Authorize" posts the password form; default `/token`. */
  tokenUrl?: string;
  /** The API version shown in the document; default `0.1.0`. */
  version?: string;
  /**
   * Where the API is served; default `/`, the root of the host serving the document (OpenAPI
   * 3.1 §4.8.5: a relative server URL is resolved against the document's own URL), which stays
   * right behind a proxy. Give an absolute URL for documents read elsewhere (e.g. by a client
   * generator).
   */
  serverUrl?: string;
  /** The API's license in the document; default this package's, MIT. */
  license?: { name: string; identifier?: string; url?: string };
}

/** This package's license (package.json), as an SPDX identifier (OpenAPI 3.1 §4.8.4). */
const DEFAULT_LICENSE = { name: 'MIT', identifier: 'MIT' };

/** Answers nothing: the documentation app only describes the routes, the service answers them. */
const describeOnly = async () => undefined;

/**
 * A Fastify instance of its own holding @fastify/swagger and Swagger UI, fed with the service's
 * routes as they were declared (method, URL, schema). Built on the first request for the docs
 * (openapi.ts): loading Swagger, its YAML parser and @fastify/static cost ~0.1 s of every start
 * (docs/BENCHMARKS.md, row 6) for pages few processes ever serve.
 */
export async function buildDocsApp(routes: readonly RouteOptions[], options: DocsOptions): Promise<FastifyInstance> {
  // HEAD routes are replayed as the service declared them, so none is added here.
  const docs = Fastify({ logger: false, exposeHeadRoutes: false });
  // Nothing is validated or serialised here: no schema needs compiling.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await docs.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'fastify-users',
        version: options.version ?? '0.1.0',
        description: 'Users, passwords and access tokens.',
        license: options.license ?? DEFAULT_LICENSE,
      },
      servers: [{ url: options.serverUrl ?? '/' }],
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: options.tokenUrl ?? '/token', scopes: {} } } },
          APIKeyHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'X-API-Key',
            description: 'An API key (`fu_…`, docs/api-keys.md); also accepted as `Authorization: Bearer <key>`',
          },
        },
      },
    },
  });
  await docs.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  for (const route of routes) {
    docs.route({ method: route.method, url: route.url, schema: route.schema, config: route.config, handler: describeOnly });
  }
  await docs.ready();
  return docs;
}
