import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { fastifyUsers } from '../../../src/index.js';
import { FAST_ARGON2, TEST_SECRET } from '../../support/constants.js';
import { tempDir } from '../../support/temp.js';

// The discovery document and the JWKS never change while the process runs: after the engine's
// first answer, our first onRequest hook serves its copy, so hooks registered after the plugin
// (ours — cookie parser, CORS, Origin, CSRF — and a host's) do not run for them; onResponse does.
describe('the provider in a host app: discovery and JWKS served early once known', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  const reachedLaterHook: string[] = [];
  const responded: string[] = [];
  before(async () => {
    app = Fastify({ logger: false });
    // A host hook registered before the plugin: it runs for every request, and its header is
    // the request's own, never the one of the request whose answer was kept.
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
    await app.register(fastifyUsers, {
      databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      publicUrl: 'http://127.0.0.1:9',
      oauthServer: { enabled: true },
    });
    // The host's own hooks, registered after the plugin.
    app.addHook('onRequest', async (request) => {
      reachedLaterHook.push(request.url);
    });
    app.addHook('onResponse', async (request, reply) => {
      responded.push(`${request.method} ${reply.statusCode}`);
    });
  });
  after(async () => {
    await app?.close();
    dir.cleanup();
  });

  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/oauth2/jwks']) {
    test(`${path}: the engine's first answer, then the same bytes without the later hooks`, async () => {
      reachedLaterHook.length = 0;
      responded.length = 0;
      const first = await app.inject({ method: 'GET', url: path });
      const second = await app.inject({ method: 'GET', url: path, headers: { origin: 'https://app.example' } });
      assert.equal(first.statusCode, 200);
      assert.equal(second.statusCode, 200);
      assert.equal(second.body, first.body);
      assert.equal(first.headers['access-control-allow-origin'], '*');
      assert.equal(second.headers['access-control-allow-origin'], 'https://app.example');
      assert.ok(first.headers['x-request-id'], 'the earlier host hook’s header is on the engine’s answer');
      assert.ok(second.headers['x-request-id'], 'and on the kept copy');
      assert.notEqual(second.headers['x-request-id'], first.headers['x-request-id'], 'each request carries its own');
      assert.deepEqual(reachedLaterHook, [path], 'only the first request went through the hooks to the engine');
      assert.deepEqual(responded, ['GET 200', 'GET 200'], 'onResponse runs for both');
      // Anything but a plain GET of the exact path still goes the whole way.
      const withQuery = await app.inject({ method: 'GET', url: `${path}?x=1` });
      assert.equal(withQuery.body, first.body);
      assert.deepEqual(reachedLaterHook, [path, `${path}?x=1`]);
    });
  }
});
