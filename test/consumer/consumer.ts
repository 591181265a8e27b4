// A user's TypeScript app on the installed tarball, type-checked by `tsc` (scripts/ci-package.sh):
// the plugin's options, its decorators and the typed `request.user` come from the package's .d.ts.
import Fastify from 'fastify';
import { fastifyUsers, type FastifyUsersOptions, type PublicUser } from 'fastify-users';
import { buildServer, readConfig, type ServerConfig } from 'fastify-users/server';

export async function buildApp(options: FastifyUsersOptions) {
  const app = Fastify();
  await app.register(fastifyUsers, { routePrefix: '/auth', ...options });
  app.get('/hello', { preHandler: app.authenticate }, async (request) => {
    const user: PublicUser = request.user;
    // @ts-expect-error -- a misspelt field of request.user is a type error
    const misspelt = request.user.emial;
    return { hello: user.email, id: user.id, misspelt };
  });
  app.get('/admin-only', { preHandler: app.fastifyUsers.guard({ superuser: true }) }, async (request) => ({ admin: request.user.is_superuser }));
  return app;
}

export async function buildService(): Promise<void> {
  const config: ServerConfig = readConfig({ DATABASE_URL: 'sqlite:data/auth.db' });
  const server = await buildServer(config);
  await server.close();
}
