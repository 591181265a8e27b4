import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers } from '../../src/http/plugin.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { form } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

/** A host app with the plugin on a real SQLite file; `prepare` runs before the plugin is registered. */
async function hostApp(prepare: (app: FastifyInstance) => void = () => {}) {
  const dir = tempDir();
  const app = Fastify({ logger: false });
  prepare(app);
  await app.register(fastifyUsers, {
    databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
    secretKey: TEST_SECRET,
    argon2: FAST_ARGON2,
    unsafeArgon2ForTests: true,
  });
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}

describe('the plugin as a citizen of a host app', () => {
  test('it owns no decorator name of @fastify/auth or @fastify/session, so it registers beside them', async () => {
    // The names those plugins decorate: fastify.auth (@fastify/auth), request.session and
    // fastify.session* (@fastify/session). A host that already has them must not break.
    const { app, close } = await hostApp((host) => {
      host.decorate('auth', () => 'host auth');
      host.decorateRequest('session', null);
    });
    try {
      assert.equal(typeof app.fastifyUsers.auth.register, 'function');
      assert.equal((app as unknown as { auth: () => string }).auth(), 'host auth');
      await app.inject({ method: 'POST', url: '/register', payload: { email: 'a@example.com', password: PASSWORD } });
      const login = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'a@example.com', password: PASSWORD }) });
      assert.equal(login.statusCode, 200);
    } finally {
      await close();
    }
  });

  test("it registers no body parser on the host: a host route keeps the host app's own content types", async () => {
    const { app, close } = await hostApp((host) => {
      host.post('/host-form', async (request) => ({ body: request.body }));
    });
    try {
      // Without @fastify/formbody on the host, Fastify answers 415 for a form body on a host route.
      const response = await app.inject({ method: 'POST', url: '/host-form', ...form({ a: '1' }) });
      assert.equal(response.statusCode, 415);
      // …while the plugin's own form route still parses forms.
      const token = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'nobody@example.com', password: PASSWORD }) });
      assert.equal(token.statusCode, 401);
    } finally {
      await close();
    }
  });

  test('a database is required: neither store nor databaseUrl is a registration error naming them', async () => {
    const app = Fastify({ logger: false });
    await assert.rejects(async () => {
      await app.register(fastifyUsers, { secretKey: TEST_SECRET });
      await app.ready();
    }, /databaseUrl.*store|store.*databaseUrl/);
    await app.close().catch(() => {});
  });
});
