// The README's "As a library" example, kept identical to it by test/examples/library.test.ts
// (the README imports from 'fastify-users'; this copy from the source tree).
// README:begin
import Fastify from 'fastify';
import { fastifyUsers, type FastifyUsersOptions } from '../src/index.js';

export async function buildApp(options: FastifyUsersOptions) {
  const app = Fastify();
  // /auth/register, /auth/token, /auth/login, /auth/logout, /auth/users/me, …
  await app.register(fastifyUsers, { routePrefix: '/auth', ...options });
  // Your own route, guarded in one line; request.user is typed (id, email, is_active, …).
  app.get('/hello', { preHandler: app.authenticate }, async (request) => {
    return { hello: request.user.email };
  });
  return app;
}
// README:end
