import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildHostApp, type HostTestApp } from '../support/apps.js';
import { TEST_SECRET } from '../support/constants.js';
import { setCookies } from '../support/cookies.js';
import { browserLogin } from '../support/requests.js';
import { verifyCSRFToken } from '../../src/http/csrf.js';
import { digestToken } from '../../src/core/token.js';

const FRONT_END = 'http://app.example.test:3000';

describe('GET /csrf: the CSRF token as JSON for front ends on another host', () => {
  let t: HostTestApp;
  before(async () => {
    t = await buildHostApp({ corsOrigins: [FRONT_END] });
  });
  after(async () => t.close());

  const csrf = (cookie?: string, origin?: string) =>
    t.app.inject({ method: 'GET', url: '/csrf', headers: { ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) } });
  /** The host route, cookie-authenticated, with `header` as x-csrftoken. */
  const hostAction = (cookie: string, header: string) => t.app.inject({ method: 'POST', url: '/host/action', headers: { cookie, 'x-csrftoken': header } });

  test('without cookies: a token in the body, the same token set as the cookie, not cached', async () => {
    const response = await csrf();
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(Object.keys(body), ['csrf_token']);
    assert.equal(setCookies(response).get('csrftoken')?.value, body.csrf_token);
    assert.match(setCookies(response).get('csrftoken')!.raw, /; Path=\/; Secure; SameSite=Lax$/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.ok(verifyCSRFToken(body.csrf_token, '', [TEST_SECRET]), 'bound to "no session"');
  });

  test("logged in: the session's cookie token, no new cookie; the token opens a cookie-authenticated POST", async () => {
    const session = await browserLogin(t.app, 'same@example.com');
    const response = await csrf(session.cookie);
    assert.equal(response.json().csrf_token, session.csrf);
    assert.equal(setCookies(response).get('csrftoken'), undefined);
    const calls = t.hostCalls();
    assert.equal((await hostAction(session.cookie, session.csrf)).statusCode, 200);
    assert.equal(t.hostCalls(), calls + 1);
  });

  test('a token of another session (or none) is replaced by one bound to this session, set as the cookie too', async () => {
    const session = await browserLogin(t.app, 'stale@example.com');
    const anonymous = (await csrf()).json().csrf_token as string;
    for (const cookie of [`token=${session.token}; csrftoken=${anonymous}`, `token=${session.token}`]) {
      const response = await csrf(cookie);
      const token = response.json().csrf_token as string;
      assert.notEqual(token, anonymous);
      assert.equal(setCookies(response).get('csrftoken')?.value, token);
      assert.ok(verifyCSRFToken(token, digestToken(session.token), [TEST_SECRET]), 'bound to the session');
      assert.equal((await hostAction(`token=${session.token}; csrftoken=${token}`, token)).statusCode, 200);
    }
    // The stale one still fails, as before.
    assert.equal((await hostAction(`token=${session.token}; csrftoken=${anonymous}`, anonymous)).statusCode, 403);
  });

  test('a listed origin may read it (CORS with credentials); any other origin gets no Access-Control-Allow-Origin', async () => {
    const listed = await csrf(undefined, FRONT_END);
    assert.equal(listed.headers['access-control-allow-origin'], FRONT_END);
    assert.equal(listed.headers['access-control-allow-credentials'], 'true');
    assert.match(String(listed.headers.vary), /origin/i);
    for (const origin of ['http://evil.example.test:3000', 'http://app.example.test:3001', 'null', 'https://app.example.test:3000']) {
      const foreign = await csrf(undefined, origin);
      assert.equal(foreign.statusCode, 200, origin);
      assert.equal(foreign.headers['access-control-allow-origin'], undefined, origin);
      assert.equal(foreign.headers['access-control-allow-credentials'], undefined, origin);
      assert.match(String(foreign.headers.vary), /origin/i, `${origin}: caches keep answers per origin`);
    }
  });
});
