import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { digestToken } from '../../src/core/token.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { cookieValue, setCookieHeader } from '../support/cookies.js';
import { bearerToken, form, register } from '../support/requests.js';

const NOT_AUTHENTICATED = { detail: 'Not authenticated', code: 'NOT_AUTHENTICATED' };

async function cookieLogin(t: TestApp, email: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email, password: PASSWORD }) });
  return cookieValue(response, 'token');
}

function assertNotAuthenticated(response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, label = ''): void {
  assert.equal(response.statusCode, 401, label);
  assert.equal(response.headers['www-authenticate'], 'Bearer', label);
  assert.deepEqual(response.json(), NOT_AUTHENTICATED, label);
}

describe('GET /users/me and /protected-route', () => {
  let t: TestApp;
  let bearer: string;
  before(async () => {
    t = await buildTestApp();
    await register(t.app, 'alice@example.com');
    await register(t.app, 'bob@example.com');
    bearer = await bearerToken(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  test('200 with the public user via bearer, on both routes', async () => {
    for (const url of ['/users/me', '/protected-route']) {
      const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(response.statusCode, 200, url);
      assert.deepEqual(Object.keys(response.json()).sort(), ['email', 'id', 'is_active', 'is_superuser', 'is_verified']);
      assert.equal(response.json().email, 'alice@example.com');
    }
  });

  test('the bearer scheme is case-insensitive (RFC 6750 §2.1)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `bearer ${bearer}` } });
    assert.equal(response.statusCode, 200);
  });

  test('401 {"detail":"Not authenticated"} + WWW-Authenticate: Bearer without credentials or with a bad one', async () => {
    for (const url of ['/users/me', '/protected-route']) {
      assertNotAuthenticated(await t.app.inject({ method: 'GET', url }), url);
      for (const authorization of [
        'Bearer',
        'Bearer ',
        'Bearer nope',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${'A'.repeat(43)}`,
        `Token ${bearer}`,
      ]) {
        assertNotAuthenticated(await t.app.inject({ method: 'GET', url, headers: { authorization } }), authorization);
      }
      assertNotAuthenticated(await t.app.inject({ method: 'GET', url, cookies: { token: 'garbage' } }), 'bad cookie');
    }
  });

  test('the Authorization header wins over the cookie', async () => {
    const bobCookie = await cookieLogin(t, 'bob@example.com');
    const both = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${bearer}` }, cookies: { token: bobCookie } });
    assert.equal(both.json().email, 'alice@example.com');
    // A present but invalid header is not rescued by a valid cookie.
    const badHeader = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: 'Bearer nope' }, cookies: { token: bobCookie } });
    assertNotAuthenticated(badHeader);
  });

  test('a token in the query string or in the body is ignored', async () => {
    for (const name of ['access_token', 'token']) {
      assertNotAuthenticated(await t.app.inject({ method: 'GET', url: `/users/me?${name}=${bearer}` }), `query ${name}`);
      const body = await t.app.inject({ method: 'POST', url: '/logout', payload: { [name]: bearer } });
      assertNotAuthenticated(body, `body ${name}`);
      const formBody = await t.app.inject({ method: 'POST', url: '/logout', ...form({ [name]: bearer }) });
      assertNotAuthenticated(formBody, `form ${name}`);
    }
    // And the token was not revoked by those attempts.
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${bearer}` } })).statusCode, 200);
  });

  test("a deactivated user's token stops working at once", async () => {
    await register(t.app, 'carol@example.com');
    const token = await bearerToken(t.app, 'carol@example.com');
    const carol = await t.store.findUserByEmail('carol@example.com');
    await t.store.updateUser(carol!.id, { isActive: false }, new Date());
    assertNotAuthenticated(await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } }));
  });
});

describe('POST /logout', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
    await register(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  test('bearer: 204, the token is revoked (its row gone), /users/me is 401 afterwards; other tokens live on', async () => {
    const token = await bearerToken(t.app, 'alice@example.com');
    const other = await bearerToken(t.app, 'alice@example.com');
    const response = await t.app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(await t.store.findSession(digestToken(token), new Date()), null);
    assertNotAuthenticated(await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } }));
    assertNotAuthenticated(await t.app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${token}` } }), 'a second logout');
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${other}` } })).statusCode, 200);
  });

  test('cookie: 204, the auth cookie is cleared with the same attributes, and the cookie no longer works', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) });
    const cookie = cookieValue(login, 'token');
    // A cookie-authenticated unsafe request carries the CSRF pair minted at login (docs/security.md).
    const csrf = cookieValue(login, 'csrftoken');
    const response = await t.app.inject({
      method: 'POST',
      url: '/logout',
      cookies: { token: cookie, csrftoken: csrf },
      headers: { 'x-csrftoken': csrf },
    });
    assert.equal(response.statusCode, 204);
    const cleared = setCookieHeader(response, 'token');
    assert.ok(cleared, 'a Set-Cookie clears the auth cookie');
    assert.match(cleared, /^token=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/);
    assertNotAuthenticated(await t.app.inject({ method: 'GET', url: '/users/me', cookies: { token: cookie } }));
  });

  test('401 without credentials', async () => {
    assertNotAuthenticated(await t.app.inject({ method: 'POST', url: '/logout' }));
  });
});

describe('token expiry (absolute, from issue)', () => {
  let t: TestApp;
  let clock = new Date('2030-01-01T00:00:00Z');
  before(async () => {
    t = await buildTestApp({ now: () => clock, accessTokenLifetime: 3600 });
    await register(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  test('a token works until its lifetime has passed, then is refused and purged', async () => {
    clock = new Date('2030-01-01T00:00:00Z');
    const token = await bearerToken(t.app, 'alice@example.com');
    const me = () => t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });

    clock = new Date('2030-01-01T00:59:59Z');
    assert.equal((await me()).statusCode, 200, 'one second before expiry');

    clock = new Date('2030-01-01T01:00:00Z');
    assertNotAuthenticated(await me(), 'at expiry');
    const rowsBefore = await t.store.db.selectFrom('access_tokens').select('token').execute();
    assert.ok(
      rowsBefore.some((r) => r.token === digestToken(token)),
      'refused but not yet purged',
    );

    assert.equal(await t.app.fastifyUsers.auth.purgeExpiredTokens(), 1);
    const rowsAfter = await t.store.db.selectFrom('access_tokens').select('token').execute();
    assert.ok(!rowsAfter.some((r) => r.token === digestToken(token)), 'purged');
  });

  test('use does not extend a token (absolute, not sliding)', async () => {
    clock = new Date('2030-02-01T00:00:00Z');
    const token = await bearerToken(t.app, 'alice@example.com');
    for (const minutes of [10, 30, 50, 59]) {
      clock = new Date(Date.UTC(2030, 1, 1, 0, minutes));
      assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    }
    clock = new Date('2030-02-01T01:00:01Z');
    assertNotAuthenticated(await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } }));
  });

  test('purge keeps unexpired tokens', async () => {
    clock = new Date('2030-03-01T00:00:00Z');
    const token = await bearerToken(t.app, 'alice@example.com');
    clock = new Date('2030-03-01T00:30:00Z');
    await t.app.fastifyUsers.auth.purgeExpiredTokens();
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  });
});

describe('periodic purge', () => {
  test('the plugin purges expired tokens on its own every purgeIntervalSeconds', async () => {
    let clock = new Date('2030-01-01T00:00:00Z');
    const t = await buildTestApp({ now: () => clock, accessTokenLifetime: 60, purgeIntervalSeconds: 1 });
    try {
      await register(t.app, 'alice@example.com');
      const token = await bearerToken(t.app, 'alice@example.com');
      const present = async () => (await t.store.db.selectFrom('access_tokens').select('token').execute()).some((r) => r.token === digestToken(token));
      assert.equal(await present(), true);
      clock = new Date('2030-01-01T00:01:00Z');
      // Poll (not a timing assertion): the interval fires within a few seconds even on a busy machine.
      for (let i = 0; i < 100 && (await present()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await present(), false);
    } finally {
      await t.close();
    }
  });
});

describe('GET /health', () => {
  test('200 {"status":"ok"} while the database answers, 503 with Retry-After when it does not', async () => {
    const t = await buildTestApp();
    try {
      const ok = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual(ok.json(), { status: 'ok' });
      await t.store.db.destroy();
      const down = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().code, 'SERVICE_UNAVAILABLE');
      assert.ok(Number(down.headers['retry-after']) > 0);
    } finally {
      await t.close();
    }
  });
});
