import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { fastifyUsers, registerOpenAPI } from '../../src/index.js';
import { FAST_ARGON2, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

describe('registerOpenAPI in a host app (library mode)', () => {
  test("documents the plugin's routes under its prefix and the host's own; /docs is served; nothing hidden leaks in", async () => {
    const dir = tempDir();
    const app = Fastify({ logger: false });
    try {
      await registerOpenAPI(app, { tokenUrl: '/auth/token', version: '9.9.9' });
      await app.register(fastifyUsers, {
        databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
        secretKey: TEST_SECRET,
        argon2: FAST_ARGON2,
        unsafeArgon2ForTests: true,
        routePrefix: '/auth',
      });
      app.get('/orders', { preHandler: app.authenticate, schema: { summary: "The host's own route" } }, async () => []);
      app.get('/internal', { schema: { hide: true } }, async () => 'hidden');
      await app.ready();

      const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.equal(spec.info.version, '9.9.9');
      assert.equal(spec.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/auth/token');
      for (const path of ['/auth/token', '/auth/users/me', '/auth/register', '/orders']) assert.ok(spec.paths[path], `${path} is documented`);
      assert.equal(spec.paths['/orders'].get.summary, "The host's own route");
      for (const path of ['/internal', '/openapi.json', '/docs', '/docs/*', '/token']) assert.equal(spec.paths[path], undefined, `${path} is not`);
      // The same document on every request.
      assert.deepEqual((await app.inject({ method: 'GET', url: '/openapi.json' })).json(), spec);

      const page = await app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /swagger-ui/i);
      const json = await app.inject({ method: 'GET', url: '/docs/json' });
      assert.deepEqual(json.json().paths['/orders'], spec.paths['/orders']);
      assert.equal((await app.inject({ method: 'GET', url: '/docs/static/no-such-file.js' })).statusCode, 404);
    } finally {
      await app.close();
      dir.cleanup();
    }
  });
});
