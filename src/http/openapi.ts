import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI 3 at `/openapi.json` and Swagger UI at `/docs`, with the `oauth2` password flow whose
 * `tokenUrl` is `/token` — FastAPI's `OAuth2PasswordBearer`, so "Authorize" in the docs logs in.
 * Register before `fastifyUsers` so its routes are collected.
 */
export async function registerOpenAPI(app: FastifyInstance, options: { tokenUrl?: string; version?: string } = {}): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'fastify-users', version: options.version ?? '0.1.0', description: 'Users, passwords and access tokens.' },
      components: {
        securitySchemes: {
          OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: options.tokenUrl ?? '/token', scopes: {} } } },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
