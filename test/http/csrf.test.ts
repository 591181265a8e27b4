import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mintCSRFToken, verifyCSRFToken } from '../../src/http/csrf.js';
import { digestToken } from '../../src/core/token.js';
import { buildHostApp, type HostTestApp } from '../support/apps.js';
import { PASSWORD, TEST_SECRET } from '../support/constants.js';
import { setCookies } from '../support/cookies.js';
import { bearerToken, browserLogin, form, register } from '../support/requests.js';

const REFUSED = { detail: 'CSRF token verification failed', code: 'CSRF_TOKEN_INVALID' };
const OLD_KEY = 'an-older-secret-key-still-verifying-000000001';
const NEW_KEY = 'the-current-secret-key-that-signs-00000000002';

describe('CSRF tokens: minting and verification', () => {
  test('a token is <random>.<hmac> and verifies only for the session it was minted for', () => {
    const digest = digestToken('some-session-token');
    const token = mintCSRFToken(TEST_SECRET, digest);
    assert.match(token, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    assert.equal(verifyCSRFToken(token, digest, [TEST_SECRET]), true);
    assert.equal(verifyCSRFToken(token, digestToken('another-session'), [TEST_SECRET]), false);
    assert.equal(verifyCSRFToken(token, '', [TEST_SECRET]), false);
    assert.notEqual(mintCSRFToken(TEST_SECRET, digest), token, 'a fresh random each time');
  });

  test('unsigned, truncated or tampered values do not verify', () => {
    const token = mintCSRFToken(TEST_SECRET, '');
    const [random, mac] = token.split('.') as [string, string];
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of ['', random, `${random}.`, `${random}.${random}`, `${random}.${flipped}`, `${mac}.${random}`, `${token}.x`, token.replace('.', '!')]) {
      assert.equal(verifyCSRFToken(bad, '', [TEST_SECRET]), false, bad);
    }
  });

  test('every key of the list verifies; an unknown key does not', () => {
    const token = mintCSRFToken(OLD_KEY, '');
    assert.equal(verifyCSRFToken(token, '', [NEW_KEY, OLD_KEY]), true);
    assert.equal(verifyCSRFToken(token, '', [NEW_KEY]), false);
  });
});

describe('CSRF: the cookie', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp();
  });
  after(async () => t.close());

  test('a response to a request without the cookie sets csrftoken: Path=/; SameSite=Lax; Secure; not HttpOnly', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/health' });
    const cookie = setCookies(response).get('csrftoken');
    assert.ok(cookie);
    assert.match(cookie.raw, /^csrftoken=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; Secure; SameSite=Lax$/);
    assert.doesNotMatch(cookie.raw, /HttpOnly|Domain/i);
    assert.equal(verifyCSRFToken(cookie.value, '', [TEST_SECRET]), true, 'bound to "no session"');
  });

  test("the host app's responses never mint the cookie (shared caches keep its public pages); its unsafe routes stay protected", async () => {
    // An anonymous GET of a host page, and one with a session whose CSRF cookie is gone: no Set-Cookie.
    const page = await t.app.inject({ method: 'GET', url: '/host/page' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['set-cookie'], undefined);
    const s = await browserLogin(t.app, 'cdn@example.com');
    const signedIn = await t.app.inject({ method: 'GET', url: '/host/page', headers: { cookie: `token=${s.token}` } });
    assert.equal(signedIn.headers['set-cookie'], undefined);
    // Still checked there: without the pair the host's unsafe route is refused and does not run.
    const before = t.hostCalls();
    const refused = await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: `token=${s.token}` } });
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json(), REFUSED);
    assert.equal(refused.headers['set-cookie'], undefined);
    assert.equal(t.hostCalls(), before);
    // The plugin's routes still mint it: GET /csrf gives the token for this session, body and cookie alike.
    const csrf = await t.app.inject({ method: 'GET', url: '/csrf', headers: { cookie: `token=${s.token}` } });
    const minted = setCookies(csrf).get('csrftoken')!.value;
    assert.equal(csrf.json().csrf_token, minted);
    const allowed = await t.app.inject({
      method: 'POST',
      url: '/host/action',
      headers: { cookie: `token=${s.token}; csrftoken=${minted}`, 'x-csrftoken': minted },
    });
    assert.equal(allowed.statusCode, 200);
    assert.equal(t.hostCalls(), before + 1);
  });

  test('a safe request with a token valid for its session gets no new cookie', async () => {
    const session = await browserLogin(t.app, 'keep@example.com');
    const response = await t.app.inject({ method: 'GET', url: '/users/me', headers: { cookie: session.cookie } });
    assert.equal(response.statusCode, 200);
    assert.equal(setCookies(response).has('csrftoken'), false);
  });

  test('a safe request whose token belongs to another session gets a fresh one for its own', async () => {
    const session = await browserLogin(t.app, 'fresh@example.com');
    const stale = mintCSRFToken(TEST_SECRET, '');
    const response = await t.app.inject({ method: 'GET', url: '/users/me', headers: { cookie: `token=${session.token}; csrftoken=${stale}` } });
    const fresh = setCookies(response).get('csrftoken');
    assert.ok(fresh);
    assert.equal(verifyCSRFToken(fresh.value, digestToken(session.token), [TEST_SECRET]), true);
  });
});

describe('CSRF: unsafe requests with the auth cookie', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp();
  });
  after(async () => t.close());

  async function stillLoggedIn(token: string): Promise<boolean> {
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: { cookie: `token=${token}` } });
    return me.statusCode === 200;
  }

  test('cookie and matching header, signed for the session: the request goes through (logout 204)', async () => {
    const s = await browserLogin(t.app, 'ok@example.com');
    const response = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie, 'x-csrftoken': s.csrf } });
    assert.equal(response.statusCode, 204);
    assert.equal(await stillLoggedIn(s.token), false);
  });

  test('no csrftoken cookie → 403, and nothing happened', async () => {
    const s = await browserLogin(t.app, 'nocookie@example.com');
    const response = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: `token=${s.token}`, 'x-csrftoken': s.csrf } });
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(response.headers['set-cookie'], undefined, 'a refused request sets no cookie');
    assert.equal(await stillLoggedIn(s.token), true);
  });

  test('no x-csrftoken header → 403, the token is still valid and no cookie was changed', async () => {
    const s = await browserLogin(t.app, 'noheader@example.com');
    const response = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie } });
    assert.equal(response.statusCode, 403);
    assert.deepEqual(response.json(), REFUSED);
    assert.equal(response.headers['set-cookie'], undefined, 'a refused request sets no cookie');
    assert.equal(await stillLoggedIn(s.token), true);
    // The same pair still works afterwards: the refusal changed nothing.
    const retry = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie, 'x-csrftoken': s.csrf } });
    assert.equal(retry.statusCode, 204);
  });

  test('header different from the cookie (both validly signed for the session) → 403', async () => {
    const s = await browserLogin(t.app, 'mismatch@example.com');
    const other = mintCSRFToken(TEST_SECRET, digestToken(s.token));
    const response = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie, 'x-csrftoken': other } });
    assert.equal(response.statusCode, 403);
    assert.equal(await stillLoggedIn(s.token), true);
  });

  test('an unsigned value in both cookie and header → 403 (starlette-csrf without signing would pass)', async () => {
    const s = await browserLogin(t.app, 'unsigned@example.com');
    const forged = 'attacker-chosen-value';
    const response = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `token=${s.token}; csrftoken=${forged}`, 'x-csrftoken': forged },
    });
    assert.equal(response.statusCode, 403);
    const wellFormed = `${'A'.repeat(43)}.${'B'.repeat(43)}`;
    const again = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `token=${s.token}; csrftoken=${wellFormed}`, 'x-csrftoken': wellFormed },
    });
    assert.equal(again.statusCode, 403);
    assert.equal(await stillLoggedIn(s.token), true);
  });

  test("another session's valid pair with the victim's auth cookie → 403 (token bound to the session)", async () => {
    const victim = await browserLogin(t.app, 'victim@example.com');
    const attacker = await browserLogin(t.app, 'attacker@example.com');
    const response = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `token=${victim.token}; csrftoken=${attacker.csrf}`, 'x-csrftoken': attacker.csrf },
    });
    assert.equal(response.statusCode, 403);
    assert.equal(await stillLoggedIn(victim.token), true);
  });

  test('a pair already verified for its own session still fails with another session (the remembered answer is per session)', async () => {
    const victim = await browserLogin(t.app, 'victim2@example.com');
    const attacker = await browserLogin(t.app, 'attacker2@example.com');
    for (let i = 0; i < 2; i += 1) {
      const own = await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: attacker.cookie, 'x-csrftoken': attacker.csrf } });
      assert.equal(own.statusCode, 200, 'verified, then answered from memory');
    }
    const before = t.hostCalls();
    const crossed = await t.app.inject({
      method: 'POST',
      url: '/host/action',
      headers: { cookie: `token=${victim.token}; csrftoken=${attacker.csrf}`, 'x-csrftoken': attacker.csrf },
    });
    assert.equal(crossed.statusCode, 403);
    assert.equal(t.hostCalls(), before);
    // And the other way round: the victim's verified pair does not open the attacker's session to it.
    assert.equal((await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: victim.cookie, 'x-csrftoken': victim.csrf } })).statusCode, 200);
    const reversed = await t.app.inject({
      method: 'POST',
      url: '/host/action',
      headers: { cookie: `token=${attacker.token}; csrftoken=${victim.csrf}`, 'x-csrftoken': victim.csrf },
    });
    assert.equal(reversed.statusCode, 403);
  });

  test('a pair minted before login (no session) is refused with the auth cookie', async () => {
    const s = await browserLogin(t.app, 'prelogin@example.com');
    const anonymous = mintCSRFToken(TEST_SECRET, '');
    const response = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `token=${s.token}; csrftoken=${anonymous}`, 'x-csrftoken': anonymous },
    });
    assert.equal(response.statusCode, 403);
  });

  test('only the header counts: not a query parameter, not a form field, no method override', async () => {
    const s = await browserLogin(t.app, 'onlyheader@example.com');
    const cookie = s.cookie;
    const attempts = [
      t.app.inject({ method: 'POST', url: `/logout?csrftoken=${s.csrf}&x-csrftoken=${s.csrf}`, headers: { cookie } }),
      t.app.inject({
        method: 'POST',
        url: '/logout',
        headers: { cookie, ...form({ csrftoken: s.csrf, 'x-csrftoken': s.csrf }).headers },
        payload: form({ csrftoken: s.csrf, 'x-csrftoken': s.csrf }).payload,
      }),
      t.app.inject({ method: 'POST', url: '/logout', headers: { cookie, 'x-http-method-override': 'GET' } }),
      t.app.inject({ method: 'POST', url: '/logout?_method=GET', headers: { cookie } }),
    ];
    for (const response of await Promise.all(attempts)) assert.equal(response.statusCode, 403);
    assert.equal(await stillLoggedIn(s.token), true);
  });

  test('the rule holds on /login when the auth cookie is present', async () => {
    const s = await browserLogin(t.app, 'relogin@example.com');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: s.cookie, ...form({}).headers },
      payload: form({ email: 'relogin@example.com', password: PASSWORD }).payload,
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(setCookies(refused).has('token'), false, 'no new session');
    const allowed = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: s.cookie, 'x-csrftoken': s.csrf, ...form({}).headers },
      payload: form({ email: 'relogin@example.com', password: PASSWORD }).payload,
    });
    assert.equal(allowed.statusCode, 204);
  });

  test("the rule holds on the host app's own routes, and the refused handler never runs", async () => {
    const s = await browserLogin(t.app, 'host@example.com');
    const before = t.hostCalls();
    const refused = await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: s.cookie } });
    assert.equal(refused.statusCode, 403);
    assert.equal(t.hostCalls(), before);
    const allowed = await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: s.cookie, 'x-csrftoken': s.csrf } });
    assert.equal(allowed.statusCode, 200);
    assert.equal(t.hostCalls(), before + 1);
  });

  test('a bearer client without the auth cookie is not asked for a CSRF token', async () => {
    await register(t.app, 'bearer@example.com');
    const token = await bearerToken(t.app, 'bearer@example.com');
    const action = await t.app.inject({ method: 'POST', url: '/host/action', headers: { authorization: `Bearer ${token}` } });
    assert.equal(action.statusCode, 200);
    const logout = await t.app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${token}` } });
    assert.equal(logout.statusCode, 204);
  });

  test('bearer-only responses set no CSRF cookie (no browser session to protect); cookie requests still get one', async () => {
    await register(t.app, 'api@example.com');
    const token = await bearerToken(t.app, 'api@example.com');
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(setCookies(me).has('csrftoken'), false);
    const anonymous = await t.app.inject({ method: 'GET', url: '/health' });
    assert.equal(setCookies(anonymous).has('csrftoken'), true);
  });

  test('safe methods are never asked', async () => {
    const s = await browserLogin(t.app, 'safe@example.com');
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await t.app.inject({ method, url: '/users/me', headers: { cookie: `token=${s.token}` } });
      assert.equal(response.statusCode, 200, method);
    }
  });
});

describe('CSRF: rotation at login and logout', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp();
  });
  after(async () => t.close());

  test('login sets a fresh token bound to the new session; the pre-login token is useless after it', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/health' });
    const anonymous = setCookies(first).get('csrftoken')!.value;
    await register(t.app, 'rotate@example.com');
    const login = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: `csrftoken=${anonymous}`, ...form({}).headers },
      payload: form({ email: 'rotate@example.com', password: PASSWORD }).payload,
    });
    assert.equal(login.statusCode, 204);
    const cookies = setCookies(login);
    const token = cookies.get('token')!.value;
    const rotated = cookies.get('csrftoken')!.value;
    assert.notEqual(rotated, anonymous);
    assert.equal(verifyCSRFToken(rotated, digestToken(token), [TEST_SECRET]), true);
    const stale = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: `token=${token}; csrftoken=${anonymous}`, 'x-csrftoken': anonymous },
    });
    assert.equal(stale.statusCode, 403);
  });

  test('logout sets a fresh token bound to no session; the session token no longer verifies for it', async () => {
    const s = await browserLogin(t.app, 'rotate-out@example.com');
    const logout = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie, 'x-csrftoken': s.csrf } });
    assert.equal(logout.statusCode, 204);
    const rotated = setCookies(logout).get('csrftoken')!.value;
    assert.notEqual(rotated, s.csrf);
    assert.equal(verifyCSRFToken(rotated, '', [TEST_SECRET]), true);
    assert.equal(verifyCSRFToken(rotated, digestToken(s.token), [TEST_SECRET]), false);
  });

  test('a failed login does not rotate', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { cookie: `csrftoken=${mintCSRFToken(TEST_SECRET, '')}`, ...form({}).headers },
      payload: form({ email: 'nobody@example.com', password: PASSWORD }).payload,
    });
    assert.equal(response.statusCode, 401);
    assert.equal(setCookies(response).has('csrftoken'), false);
  });
});

describe('CSRF: key rotation', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp({ secretKey: NEW_KEY, secretKeyFallbacks: [OLD_KEY] });
  });
  after(async () => t.close());

  test('a token signed with a fallback key still verifies', async () => {
    const s = await browserLogin(t.app, 'rotation@example.com');
    const old = mintCSRFToken(OLD_KEY, digestToken(s.token));
    const response = await t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie: `token=${s.token}; csrftoken=${old}`, 'x-csrftoken': old } });
    assert.equal(response.statusCode, 200);
  });

  test('a token signed with a key that is not listed is refused', async () => {
    const s = await browserLogin(t.app, 'rotation2@example.com');
    const unknown = mintCSRFToken(TEST_SECRET, digestToken(s.token));
    const response = await t.app.inject({
      method: 'POST',
      url: '/host/action',
      headers: { cookie: `token=${s.token}; csrftoken=${unknown}`, 'x-csrftoken': unknown },
    });
    assert.equal(response.statusCode, 403);
  });

  test('new tokens are signed with the current key, never the fallback', async () => {
    const s = await browserLogin(t.app, 'rotation3@example.com');
    const digest = digestToken(s.token);
    assert.equal(verifyCSRFToken(s.csrf, digest, [NEW_KEY]), true);
    assert.equal(verifyCSRFToken(s.csrf, digest, [OLD_KEY]), false);
  });
});

describe('CSRF: configured cookie names', () => {
  test('__Host- names are honoured: both cookies keep Secure and Path=/ and carry no Domain', async () => {
    const t = await buildHostApp({ authCookieName: '__Host-token', csrfCookieName: '__Host-csrftoken' });
    try {
      const s = await browserLogin(t.app, 'host-prefix@example.com', { auth: '__Host-token', csrf: '__Host-csrftoken' });
      const login = await t.app.inject({
        method: 'POST',
        url: '/login',
        headers: { cookie: s.cookie, 'x-csrftoken': s.csrf, ...form({}).headers },
        payload: form({ email: 'host-prefix@example.com', password: PASSWORD }).payload,
      });
      assert.equal(login.statusCode, 204);
      for (const [name, cookie] of setCookies(login)) {
        assert.match(name, /^__Host-/);
        assert.match(cookie.raw, /; Path=\/;/);
        assert.match(cookie.raw, /; Secure/);
        assert.doesNotMatch(cookie.raw, /Domain/i);
      }
      const refused = await t.app.inject({ method: 'POST', url: '/logout', headers: { cookie: s.cookie } });
      assert.equal(refused.statusCode, 403);
    } finally {
      await t.close();
    }
  });
});
