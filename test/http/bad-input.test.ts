import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { PASSWORD } from '../support/constants.js';
import { setCookieHeader } from '../support/cookies.js';
import { testDatabases } from '../support/databases.js';
import { form } from '../support/requests.js';
import { buildTestServer, type TestServer } from '../support/servers.js';
import { internalsOf } from '../support/internals.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

for (const database of testDatabases())
  describe(`bad input on every route is a 4xx JSON error, nothing stored, nothing granted (${database.name})`, { skip: database.skip }, () => {
    let s: TestServer;
    let drop: () => Promise<void>;
    const userCount = async () => (await internalsOf(s.app).auth.store.listUsers(0, 10_000)).length;
    let users = 0;

    before(async () => {
      const created = await database.create();
      drop = created.drop;
      s = await buildTestServer({
        ...created.env,
        THROTTLE_REGISTER_LIMIT: '1000',
        THROTTLE_IDENTIFIER_ADDRESS_LIMIT: '1000',
        THROTTLE_IDENTIFIER_LIMIT: '1000',
        THROTTLE_ADDRESS_LIMIT: '1000',
      });
      const seeded = await s.app.inject({ method: 'POST', url: '/register', payload: { email: 'alice@example.com', password: PASSWORD } });
      assert.equal(seeded.statusCode, 201);
      users = await userCount();
    });
    after(async () => {
      await s?.close();
      await drop?.();
    });

    async function expectError(request: InjectOptions, status: number, code?: string) {
      const response = await s.app.inject({ method: 'POST', ...request });
      assert.equal(response.statusCode, status, `${request.url} ${String(request.payload).slice(0, 80)} → ${response.body.slice(0, 200)}`);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = response.json();
      // The /token route adds RFC 6749 §5.2's `error` members for OAuth2 clients (docs/clients.md).
      const oauthError = request.url === '/token' && status !== 404 ? (status === 401 ? 'invalid_grant' : 'invalid_request') : undefined;
      assert.deepEqual(Object.keys(body).sort(), oauthError ? ['code', 'detail', 'error', 'error_description'] : ['code', 'detail']);
      assert.equal(body.error, oauthError);
      if (code) assert.equal(body.code, code);
      assert.doesNotMatch(response.body, /at .+\.(ts|js):\d+|stack/i, 'no stack trace');
      assert.equal(setCookieHeader(response, 'token'), undefined, 'no auth cookie');
      assert.equal(await userCount(), users, 'nothing stored');
      return body;
    }

    test('bodies over 64 KiB are 413 on every route', async () => {
      const big = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(70 * 1024) });
      for (const url of ['/register', '/logout']) await expectError({ url, headers: JSON_TYPE, payload: big }, 413, 'BODY_TOO_LARGE');
      for (const url of ['/token', '/login']) {
        await expectError({ url, headers: FORM_TYPE, payload: `username=a&email=a&password=${'x'.repeat(70 * 1024)}` }, 413, 'BODY_TOO_LARGE');
      }
    });

    test('malformed or empty JSON is 400 MALFORMED_BODY', async () => {
      for (const url of ['/register', '/logout']) {
        await expectError({ url, headers: JSON_TYPE, payload: '{"email":' }, 400, 'MALFORMED_BODY');
        await expectError({ url, headers: JSON_TYPE, payload: '' }, 400, 'MALFORMED_BODY');
      }
    });

    test('a form without the fields, or a non-object JSON body, is 422 with a FastAPI detail list', async () => {
      const body = await expectError({ url: '/token', headers: FORM_TYPE, payload: 'grant_type=password' }, 422, 'VALIDATION_ERROR');
      assert.deepEqual(
        body.detail.map((p: { loc: unknown[] }) => p.loc),
        [
          ['body', 'username'],
          ['body', 'password'],
        ],
      );
      await expectError({ url: '/register', headers: JSON_TYPE, payload: '"a string"' }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/register', headers: JSON_TYPE, payload: 'null' }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/register', headers: JSON_TYPE, payload: '[]' }, 422, 'VALIDATION_ERROR');
    });

    test('wrong content type is 415: JSON to the form routes, a form to /register, text and multipart anywhere', async () => {
      await expectError({ url: '/token', payload: { username: 'alice@example.com', password: PASSWORD } }, 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectError({ url: '/login', payload: { email: 'alice@example.com', password: PASSWORD } }, 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectError({ url: '/register', ...form({ email: 'new@example.com', password: PASSWORD }) }, 415, 'UNSUPPORTED_MEDIA_TYPE');
      for (const url of ['/register', '/token', '/login']) {
        await expectError({ url, headers: { 'content-type': 'text/plain' }, payload: 'hello' }, 415, 'UNSUPPORTED_MEDIA_TYPE');
        await expectError({ url, headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' }, 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
    });

    test('arrays, objects and operators where strings belong are 422', async () => {
      for (const email of [{ $ne: null }, ['alice@example.com'], { $gt: '' }, 1, true, null]) {
        await expectError({ url: '/register', payload: { email, password: PASSWORD } }, 422, 'VALIDATION_ERROR');
        await expectError({ url: '/register', payload: { email: 'x@example.com', password: email } }, 422, 'VALIDATION_ERROR');
      }
    });

    test('duplicate form keys are 422, not whichever value a parser keeps', async () => {
      await expectError(
        { url: '/token', headers: FORM_TYPE, payload: `username=alice%40example.com&username=b&password=${encodeURIComponent(PASSWORD)}` },
        422,
        'VALIDATION_ERROR',
      );
      await expectError(
        { url: '/login', headers: FORM_TYPE, payload: `email=alice%40example.com&password=x&password=${encodeURIComponent(PASSWORD)}` },
        422,
        'VALIDATION_ERROR',
      );
    });

    test('__proto__ and constructor keys are refused with 400 FORBIDDEN_KEY, in JSON at any depth and in forms', async () => {
      const poisoned = [
        `{"email":"evil@example.com","password":"${PASSWORD}","__proto__":{"is_superuser":true}}`,
        `{"email":"evil@example.com","password":"${PASSWORD}","constructor":{"prototype":{"is_superuser":true}}}`,
        `{"email":"evil@example.com","password":"${PASSWORD}","x":{"y":{"__proto__":{"is_superuser":true}}}}`,
      ];
      for (const payload of poisoned) await expectError({ url: '/register', headers: JSON_TYPE, payload }, 400, 'FORBIDDEN_KEY');
      for (const key of ['__proto__', 'constructor']) {
        await expectError(
          { url: '/token', headers: FORM_TYPE, payload: `${key}=x&username=alice%40example.com&password=${encodeURIComponent(PASSWORD)}` },
          400,
          'FORBIDDEN_KEY',
        );
      }
      assert.equal(await internalsOf(s.app).auth.store.findUserByEmail('evil@example.com'), null);
      assert.equal(({} as Record<string, unknown>).is_superuser, undefined, 'Object.prototype untouched');
    });

    test('a bracketed form key grants nothing', async () => {
      const response = await s.app.inject({
        method: 'POST',
        url: '/register',
        payload: { email: 'plain@example.com', password: PASSWORD, is_superuser: true, 'is_superuser[]': true },
      });
      assert.equal(response.statusCode, 201);
      assert.equal(response.json().is_superuser, false);
      users += 1;
      await expectError(
        { url: '/token', headers: FORM_TYPE, payload: `__proto__[is_superuser]=true&username=nobody%40example.com&password=x` },
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
    });

    test('NUL bytes and CR/LF in an email are 422; NUL in a password is 422', async () => {
      for (const email of ['alice@example.com\u0000', 'al\u0000ice@example.com', 'alice@example.com\r\nBcc: x@example.com', 'ali\nce@example.com']) {
        await expectError({ url: '/register', payload: { email, password: PASSWORD } }, 422, 'VALIDATION_ERROR');
        await expectError({ url: '/token', ...form({ username: email, password: PASSWORD }) }, 422, 'VALIDATION_ERROR');
        await expectError({ url: '/login', ...form({ email, password: PASSWORD }) }, 422, 'VALIDATION_ERROR');
      }
      await expectError({ url: '/register', payload: { email: 'nul@example.com', password: `${PASSWORD}\u0000tail` } }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/token', ...form({ username: 'alice@example.com', password: `${PASSWORD}\u0000` }) }, 422, 'VALIDATION_ERROR');
    });

    test('over-long strings are 422', async () => {
      await expectError({ url: '/register', payload: { email: `${'a'.repeat(300)}@example.com`, password: PASSWORD } }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/register', payload: { email: 'long@example.com', password: 'p'.repeat(5000) } }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/token', ...form({ username: 'u'.repeat(400), password: PASSWORD }) }, 422, 'VALIDATION_ERROR');
      await expectError({ url: '/register', payload: { email: 'long@example.com', password: 'p'.repeat(1100) } }, 400, 'REGISTER_INVALID_PASSWORD');
    });

    test('SQL in the input is data: refused as invalid or simply not matching, never executed', async () => {
      for (const username of ["' OR 1=1 --", "alice@example.com' --", '" OR ""="', "'; DROP TABLE users; --"]) {
        await expectError({ url: '/token', ...form({ username, password: "' OR '1'='1" }) }, 401, 'LOGIN_BAD_CREDENTIALS');
        await expectError({ url: '/register', payload: { email: username, password: PASSWORD } }, 422, 'VALIDATION_ERROR');
      }
      // A quote is legal in an email's local part: it is stored as the literal text it is.
      const quoted = await s.app.inject({ method: 'POST', url: '/register', payload: { email: "o'reilly--@example.com", password: PASSWORD } });
      assert.equal(quoted.statusCode, 201);
      assert.equal(quoted.json().email, "o'reilly--@example.com");
      users += 1;
      assert.equal((await internalsOf(s.app).auth.store.findUserByEmail('alice@example.com'))?.email, 'alice@example.com');
    });

    test('422 details never echo the submitted values', async () => {
      const secret = 'SECRET-VALUE-0123456789';
      const response = await s.app.inject({ method: 'POST', url: '/register', payload: { email: `${secret}-not-an-email`, password: [secret] } });
      assert.equal(response.statusCode, 422);
      assert.doesNotMatch(response.body, /SECRET-VALUE/);
    });

    test('GET routes ignore bodies; unknown routes and methods are JSON 404', async () => {
      const me = await s.app.inject({ method: 'GET', url: '/users/me', headers: JSON_TYPE, payload: '{"broken' });
      assert.equal(me.statusCode, 401);
      await expectError({ method: 'GET', url: '/nope' }, 404, 'NOT_FOUND');
      await expectError({ method: 'DELETE', url: '/token' }, 404, 'NOT_FOUND');
    });
  });

describe('unexpected errors', () => {
  let s: TestServer;
  before(async () => {
    s = await buildTestServer();
  });
  after(async () => s.close());

  test('a failing store is a generic 500 JSON body, no stack or message, and the process keeps serving', async () => {
    const store = internalsOf(s.app).auth.store;
    const original = store.findUserByEmail.bind(store);
    store.findUserByEmail = async () => {
      throw new Error('connection to postgres://admin:hunter2@db/auth failed at /srv/app/src/store.ts:42');
    };
    try {
      for (const request of [
        { url: '/token', ...form({ username: 'alice@example.com', password: PASSWORD }) },
        { url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) },
      ]) {
        const response = await s.app.inject({ method: 'POST', ...request });
        assert.equal(response.statusCode, 500);
        assert.deepEqual(response.json(), { detail: 'Internal Server Error', code: 'INTERNAL_SERVER_ERROR' });
        assert.doesNotMatch(response.body, /hunter2|store\.ts|postgres/);
      }
    } finally {
      store.findUserByEmail = original;
    }
    const health = await s.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    const registered = await s.app.inject({ method: 'POST', url: '/register', payload: { email: 'after@example.com', password: PASSWORD } });
    assert.equal(registered.statusCode, 201);
  });
});
