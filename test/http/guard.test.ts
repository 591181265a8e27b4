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

describe('the guard with a resolver that answers from memory', () => {
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
      credentialResolvers: [
        {
          name: 'in-memory',
          // Synchronous answers, as the provider's JWT resolver gives for a token it holds.
          resolve: ({ bearer }) => {
            if (bearer === 'known-app-token') {
              return {
                kind: 'provider',
                user: {
                  id: 1,
                  email: 'app@example.com',
                  hashedPassword: 'x',
                  isActive: true,
                  isSuperuser: true,
                  isVerified: true,
                  createdAt: new Date(0),
                  updatedAt: new Date(0),
                },
                clientId: 'c',
                scopes: [],
              };
            }
            if (bearer === 'inactive-app-token') {
              return {
                kind: 'provider',
                user: {
                  id: 2,
                  email: 'off@example.com',
                  hashedPassword: 'x',
                  isActive: false,
                  isSuperuser: false,
                  isVerified: true,
                  createdAt: new Date(0),
                  updatedAt: new Date(0),
                },
                clientId: 'c',
                scopes: [],
              };
            }
            return bearer === 'refused-app-token' ? null : undefined;
          },
        },
      ],
    });
    // Calls the guard as a hook does (with `done`) and says whether it answered without a promise.
    app.get('/host/hook', async (request, reply) => {
      let done = false;
      const returned = (app.authenticate as unknown as (r: typeof request, p: typeof reply, d: () => void) => unknown).call(app, request, reply, () => {
        done = true;
      });
      if (returned instanceof Promise) await returned;
      if (reply.sent) return reply;
      return { synchronous: returned === undefined && done, email: request.user.email };
    });
    app.get('/host/admin', { preHandler: app.fastifyUsers.guard({ superuser: true }) }, async () => ({ ok: true }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    cleanup();
  });

  const get = (url: string, token: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  test('admits a credential the resolver answers synchronously without a promise; refusals still answer 401 or 403', async () => {
    assert.deepEqual((await get('/host/hook', 'known-app-token')).json(), { synchronous: true, email: 'app@example.com' });
    assert.equal((await get('/users/me', 'known-app-token')).statusCode, 200);
    assert.equal((await get('/host/hook', 'refused-app-token')).statusCode, 401);
    assert.equal((await get('/host/hook', 'inactive-app-token')).statusCode, 401, 'an inactive user is refused whatever the resolver said');
    assert.equal((await get('/host/hook', 'unknown-app-token')).statusCode, 401);
    // A delegated credential is never a superuser's first-party session.
    const admin = await get('/host/admin', 'known-app-token');
    assert.equal(admin.statusCode, 403);
    assert.equal(admin.json().code, 'FIRST_PARTY_SESSION_REQUIRED');
  });
});
