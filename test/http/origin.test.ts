import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildHostApp, type HostTestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { browserLogin, form, register } from '../support/requests.js';

const REFUSED = { detail: 'Cross-origin request refused', code: 'ORIGIN_NOT_ALLOWED' };
const FRONT_END = 'https://app.example.com';

describe('Origin check on unsafe requests (request Host as own origin)', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp({ corsOrigins: [FRONT_END] });
    await register(t.app, 'user@example.com');
  });
  after(async () => t.close());

  const registerFrom = (headers: Record<string, string>, email: string) =>
    t.app.inject({ method: 'POST', url: '/register', headers: { host: 'auth.example.com', ...headers }, payload: { email, password: PASSWORD } });
  const loginFrom = (headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { host: 'auth.example.com', ...form({}).headers, ...headers },
      payload: form({ email: 'user@example.com', password: PASSWORD }).payload,
    });

  async function exists(email: string): Promise<boolean> {
    return (await t.store.findUserByEmail(email)) !== null;
  }

  test('no Origin and no fetch metadata (curl, servers) is allowed', async () => {
    assert.equal((await registerFrom({}, 'plain@example.com')).statusCode, 201);
    assert.equal((await loginFrom({})).statusCode, 204);
  });

  test("the server's own origin (scheme + Host) is allowed, default port or not", async () => {
    assert.equal((await registerFrom({ origin: 'http://auth.example.com' }, 'own@example.com')).statusCode, 201);
    const withPort = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { host: 'auth.example.com:80', origin: 'http://auth.example.com' },
      payload: { email: 'own2@example.com', password: PASSWORD },
    });
    assert.equal(withPort.statusCode, 201);
  });

  test('an origin listed in corsOrigins is allowed, even with Sec-Fetch-Site: cross-site', async () => {
    const response = await loginFrom({ origin: FRONT_END, 'sec-fetch-site': 'cross-site' });
    assert.equal(response.statusCode, 204);
  });

  test('a foreign Origin → 403 on /register, and no user is created', async () => {
    const response = await registerFrom({ origin: 'https://evil.example' }, 'foreign@example.com');
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(await exists('foreign@example.com'), false);
  });

  test('a foreign Origin → 403 on /login (login CSRF), and no auth cookie is set', async () => {
    const response = await loginFrom({ origin: 'https://evil.example' });
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(response.headers['set-cookie'], undefined, 'a refused request sets no cookie at all');
  });

  test('Origin: null (sandboxed frame, data: URL) → 403 unless listed', async () => {
    const response = await loginFrom({ origin: 'null' });
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
  });

  test('look-alike origins do not pass: suffix, prefix, other scheme, other port, trailing slash', async () => {
    for (const origin of [
      'https://evil-app.example.com',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://app.example.com/',
      'https://APP.example.com',
      'http://evil-auth.example.com',
    ]) {
      const response = await loginFrom({ origin });
      assert.equal(response.statusCode, 403, origin);
    }
  });

  test('Sec-Fetch-Site: cross-site without Origin → 403', async () => {
    const response = await registerFrom({ 'sec-fetch-site': 'cross-site' }, 'fetchsite@example.com');
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(await exists('fetchsite@example.com'), false);
  });

  test('Sec-Fetch-Site: cross-site with a foreign Origin → 403', async () => {
    const response = await loginFrom({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    assert.equal(response.statusCode, 403);
  });

  test('Sec-Fetch-Site same-origin, same-site or none without Origin is allowed', async () => {
    for (const site of ['same-origin', 'same-site', 'none']) {
      assert.equal((await loginFrom({ 'sec-fetch-site': site })).statusCode, 204, site);
    }
  });

  test('safe methods are not checked (a cross-site GET cannot change anything)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(response.statusCode, 200);
  });

  test("the check holds on the host app's routes, before CSRF and the handler", async () => {
    const s = await browserLogin(t.app, 'hostroute@example.com');
    const calls = t.hostCalls();
    const response = await t.app.inject({
      method: 'POST',
      url: '/host/action',
      headers: { cookie: s.cookie, 'x-csrftoken': s.csrf, origin: 'https://evil.example' },
    });
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(t.hostCalls(), calls);
  });
});

describe('Origin check with publicUrl', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp({ publicUrl: 'https://auth.example.com/base', corsOrigins: ['null'] });
  });
  after(async () => t.close());

  test("publicUrl's origin is the server's own, whatever the Host header says", async () => {
    const ok = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { host: 'internal:8000', origin: 'https://auth.example.com' },
      payload: { email: 'a@example.com', password: PASSWORD },
    });
    assert.equal(ok.statusCode, 201);
    const hostOnly = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { host: 'internal:8000', origin: 'http://internal:8000' },
      payload: { email: 'b@example.com', password: PASSWORD },
    });
    assert.equal(hostOnly.statusCode, 403);
  });

  test('a listed null origin is allowed', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/register',
      headers: { origin: 'null' },
      payload: { email: 'c@example.com', password: PASSWORD },
    });
    assert.equal(response.statusCode, 201);
  });
});
