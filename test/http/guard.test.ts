import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';
import { bearerToken, register } from '../support/requests.js';

// The guard admits a session the cache knows synchronously and anything else through a promise;
// both as a hook and when a host calls it itself, with the cache on and off.
for (const sessionCache of [true, false]) {
  describe(`the guard (session cache ${sessionCache ? 'on' : 'off'})`, () => {
    let app: FastifyInstance;
    let cleanup: () => void;
    before(async () => {
      const dir = tempDir();
      cleanup = dir.cleanup;
      app = Fastify({ logger: false });
      app.setErrorHandler(handleError);
      await app.register(fastifyUsers, {
        databaseUrl: `sqlite:${dir.path}/auth.db`,
        secretKey: TEST_SECRET,
        argon2: FAST_ARGON2,
        unsafeArgon2ForTests: true,
        sessionCache,
      });
      // A host route that authenticates only some of its requests, calling the guard itself.
      app.get('/host/optional', async (request, reply) => {
        if (request.headers.authorization === undefined) return { who: 'anonymous' };
        await app.authenticate.call(app, request, reply);
        if (reply.sent) return reply;
        return { who: request.user.email };
      });
      app.get('/host/admin', { preHandler: app.fastifyUsers.guard({ superuser: true }) }, async () => ({ ok: true }));
      await app.ready();
    });
    after(async () => {
      await app.close();
      cleanup();
    });

    test('called directly: admits a known session (twice: read, then remembered), refuses a bad token with 401', async () => {
      await register(app, 'direct@example.com');
      const token = await bearerToken(app, 'direct@example.com', PASSWORD);
      for (let i = 0; i < 2; i += 1) {
        const response = await app.inject({ method: 'GET', url: '/host/optional', headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), { who: 'direct@example.com' });
      }
      const refused = await app.inject({ method: 'GET', url: '/host/optional', headers: { authorization: `Bearer ${'x'.repeat(43)}` } });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.json().code, 'NOT_AUTHENTICATED');
      assert.deepEqual((await app.inject('/host/optional')).json(), { who: 'anonymous' });
    });

    test('the superuser guard refuses a known ordinary session every time (403), remembered or not', async () => {
      await register(app, 'plain@example.com');
      const token = await bearerToken(app, 'plain@example.com', PASSWORD);
      assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
      for (let i = 0; i < 2; i += 1) {
        const response = await app.inject({ method: 'GET', url: '/host/admin', headers: { authorization: `Bearer ${token}` } });
        assert.equal(response.statusCode, 403);
        assert.equal(response.json().code, 'FORBIDDEN');
      }
    });

    test('as a hook: a logged-out session is refused on the next request', async () => {
      await register(app, 'hook@example.com');
      const token = await bearerToken(app, 'hook@example.com', PASSWORD);
      const headers = { authorization: `Bearer ${token}` };
      assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers })).statusCode, 200);
      assert.equal((await app.inject({ method: 'POST', url: '/logout', headers })).statusCode, 204);
      assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers })).statusCode, 401);
      assert.equal((await app.inject({ method: 'GET', url: '/host/optional', headers })).statusCode, 401);
    });
  });
}
