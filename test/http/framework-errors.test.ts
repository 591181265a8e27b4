import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { frameworkErrors, notFoundHandler } from '../../src/index.js';
import { fastifyUsers } from '../../src/http/plugin.js';
import { FAST_ARGON2, tempDir, TEST_SECRET } from '../helpers.js';

/** A host app as README "As a library" shows it: the plugin under /auth, the host's own routes beside it. */
async function hostApp(options: { frameworkErrors?: typeof frameworkErrors } = {}): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const dir = tempDir();
  const app = Fastify({ logger: false, ...options });
  await app.register(fastifyUsers, { routePrefix: '/auth', databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`, secretKey: TEST_SECRET, argon2: FAST_ARGON2 });
  app.get('/hello/:name', async () => ({ hello: 'world' }));
  await app.ready();
  return { app, close: async () => { await app.close(); dir.cleanup(); } };
}

function assertOurError(response: { statusCode: number; body: string; headers: Record<string, unknown>; json(): { code: string } }, status: number, code: string): void {
  assert.equal(response.statusCode, status);
  assert.deepEqual(Object.keys(JSON.parse(response.body)), ['detail', 'code']);
  assert.equal(response.json().code, code);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.ok(!response.body.includes('FST_ERR'));
}

describe('framework errors in library mode', () => {
  let host: { app: FastifyInstance; close: () => Promise<void> };
  before(async () => {
    host = await hostApp({ frameworkErrors });
  });
  after(async () => host.close());

  test('with `frameworkErrors` passed, a malformed or over-long path under the plugin answers in its format', async () => {
    assertOurError(await host.app.inject({ method: 'GET', url: '/auth/users/%E0%A4%A' }), 400, 'MALFORMED_URL');
    assertOurError(await host.app.inject({ method: 'GET', url: `/auth/users/${'9'.repeat(150)}` }), 414, 'URL_TOO_LONG');
  });

  test('an unknown path under the plugin prefix is its 404; the host keeps its own 404 elsewhere', async () => {
    const ours = await host.app.inject({ method: 'GET', url: '/auth/nope' });
    assertOurError(ours, 404, 'NOT_FOUND');
    assert.ok(!ours.body.includes('/auth/nope'), 'the path is not echoed');
    const theirs = await host.app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(theirs.statusCode, 404);
    assert.equal(theirs.json().error, 'Not Found', "Fastify's default, the host's choice");
  });

  test('notFoundHandler gives a host root the same 404', async () => {
    const app = Fastify({ logger: false });
    app.setNotFoundHandler(notFoundHandler);
    await app.ready();
    assertOurError(await app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND');
    await app.close();
  });
});
