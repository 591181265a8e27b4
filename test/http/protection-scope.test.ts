import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { setCookiesNamed } from '../support/cookies.js';
import { form } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

const FRONT_END = 'https://app.example.com';
const FOREIGN = 'https://evil.example.net';

/** A host app with three routes of its own, declared after the plugin. */
async function hostApp(options: Partial<FastifyUsersOptions> = {}) {
  const dir = tempDir();
  const app: FastifyInstance = Fastify({ logger: false });
  await app.register(fastifyUsers, {
    databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
    secretKey: TEST_SECRET,
    argon2: FAST_ARGON2,
    unsafeArgon2ForTests: true,
    corsOrigins: [FRONT_END],
    ...options,
  });
  app.post('/webhooks/x', async () => ({ ok: true }));
  app.get('/page', async () => ({ page: true }));
  app.post('/host-protected', { config: { browserProtections: true } }, async () => ({ ok: true }));
  app.post('/host-unprotected', { config: { browserProtections: false } }, async () => ({ ok: true }));
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}

const foreignPost = (url: string) => ({ method: 'POST' as const, url, headers: { origin: FOREIGN } });
const preflight = (url: string) => ({
  method: 'OPTIONS' as const,
  url,
  headers: { origin: FRONT_END, 'access-control-request-method': 'POST' },
});

describe('browser protections scope', () => {
  test('default (all-routes): host routes are protected too, unless a route opts out', async () => {
    const { app, close } = await hostApp();
    try {
      assert.equal((await app.inject(foreignPost('/webhooks/x'))).statusCode, 403);
      assert.equal((await app.inject(foreignPost('/host-unprotected'))).statusCode, 200);
      // Checked on the host's routes, but the CSRF cookie is minted on the plugin's only.
      assert.equal(setCookiesNamed(await app.inject({ method: 'GET', url: '/page' }), 'csrftoken').length, 0);
      assert.equal(setCookiesNamed(await app.inject({ method: 'GET', url: '/users/me' }), 'csrftoken').length, 1);
      assert.equal((await app.inject(preflight('/webhooks/x'))).headers['access-control-allow-origin'], FRONT_END);
      assert.equal((await app.inject(preflight('/host-unprotected'))).headers['access-control-allow-origin'], undefined);
    } finally {
      await close();
    }
  });

  test('plugin-routes: host routes are left alone, ours and opted-in host routes keep every check', async () => {
    const { app, close } = await hostApp({ browserProtections: 'plugin-routes' });
    try {
      // The host's webhook takes a foreign Origin, and its page gets no CSRF cookie.
      assert.equal((await app.inject(foreignPost('/webhooks/x'))).statusCode, 200);
      const page = await app.inject({ method: 'GET', url: '/page' });
      assert.equal(page.statusCode, 200);
      assert.equal(setCookiesNamed(page, 'csrftoken').length, 0);
      assert.equal((await app.inject(preflight('/webhooks/x'))).headers['access-control-allow-origin'], undefined);
      // Ours: login CSRF is still refused, preflight still allowed for the listed front end.
      const login = await app.inject({
        ...foreignPost('/login'),
        ...form({ email: 'a@example.com', password: PASSWORD }),
        headers: { ...form({}).headers, origin: FOREIGN },
      });
      assert.equal(login.statusCode, 403);
      assert.equal((await app.inject(preflight('/login'))).headers['access-control-allow-origin'], FRONT_END);
      assert.equal(setCookiesNamed(await app.inject({ method: 'GET', url: '/users/me' }), 'csrftoken').length, 1);
      // A host route that opted in is protected.
      assert.equal((await app.inject(foreignPost('/host-protected'))).statusCode, 403);
      // …and CSRF holds there with the auth cookie.
      const cookieOnly = await app.inject({ method: 'POST', url: '/host-protected', cookies: { token: 'x'.repeat(43) } });
      assert.equal(cookieOnly.statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: '/webhooks/x', cookies: { token: 'x'.repeat(43) } })).statusCode, 200);
    } finally {
      await close();
    }
  });

  test('an unknown scope is a registration error naming the option', async () => {
    const app = Fastify({ logger: false });
    const dir = tempDir();
    await assert.rejects(async () => {
      await app.register(fastifyUsers, { databaseUrl: `sqlite:${join(dir.path, 'a.db')}`, secretKey: TEST_SECRET, browserProtections: 'some' as never });
      await app.ready();
    }, /browserProtections/);
    await app.close().catch(() => {});
    dir.cleanup();
  });
});
