/**
 * A front end on another host of the same site, in real Chromium: pages on `app.example.test`
 * call the API on `auth.example.test` (both mapped to loopback by --host-resolver-rules; they
 * share the registrable domain `example.test`, so SameSite=Lax cookies travel between them). The
 * front end cannot read the API host's `csrftoken` cookie, so it asks `GET /csrf`; an origin of
 * the same site that is not in CORS_ORIGINS (`evil.example.test`) cannot read that answer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildServer, readConfig } from '../../src/server.js';
import { launchChromium } from '../support/browser.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { chromium } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { buildWeb, WEB_OUT_DIR } from '../../scripts/build-web.js';
import { startBlankPageServer, startFrontEndServer, type TinyServer } from './attacker-server.js';

const CHROMIUM = chromium();
const EMAIL = 'front@example.com';
const HOSTS = ['app.example.test', 'auth.example.test', 'evil.example.test'];

/** What a page script saw of one fetch: its status and JSON body, or that the browser blocked it. */
type Seen = { status: number; body: unknown } | 'blocked';

describe('a front end on another host of the same site, in Chromium', { skip: CHROMIUM.skip }, () => {
  const dir = tempDir();
  let api: FastifyInstance;
  let front: TinyServer;
  let evil: TinyServer;
  /** The project's own web page, served from app.example.test as a front end of the API. */
  let webPage: TinyServer;
  let browser: Browser;
  let context: BrowserContext;
  let apiBase: string;
  /** Every request the API answered (statuses the browser hides from a page). */
  const served: { method: string; url: string; status: number; allowOrigin: unknown }[] = [];

  before(async () => {
    await buildWeb();
    front = await startBlankPageServer();
    evil = await startBlankPageServer();
    webPage = await startFrontEndServer(WEB_OUT_DIR, () => apiBase);
    const config = readConfig({
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      SECRET_KEY: TEST_SECRET,
      COOKIE_SECURE: 'false', // plain HTTP in the test; Secure cookies are the default
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    config.auth.publicUrl = undefined; // own origin = the request's Host (auth.example.test:<port>)
    config.auth.corsOrigins = [`http://app.example.test:${front.port}`, `http://app.example.test:${webPage.port}`];
    api = await buildServer(config, { logger: false });
    await api.listen({ port: 0, host: '127.0.0.1' });
    apiBase = `http://auth.example.test:${(api.server.address() as AddressInfo).port}`;
    api.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      response.on('finish', () =>
        served.push({
          method: request.method ?? '',
          url: request.url ?? '',
          status: response.statusCode,
          allowOrigin: response.getHeader('access-control-allow-origin'),
        }),
      );
    });
    const registered = await fetch(`${apiBase.replace('auth.example.test', '127.0.0.1')}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    assert.equal(registered.status, 201);

    browser = await launchChromium(CHROMIUM.value!, [`--host-resolver-rules=${HOSTS.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`]);
    context = await browser.newContext();
    context.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await evil?.close();
    await webPage?.close();
    await front?.close();
    await api?.close();
    dir.cleanup();
  });

  async function pageOn(host: string, server: TinyServer): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`http://${host}:${server.port}/`);
    return page;
  }

  /** Runs `fetch(apiBase + path, init)` with credentials inside `page`, as its own script would. */
  function call(page: Page, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Seen> {
    return page.evaluate(
      async ({ url, init }) => {
        try {
          const response = await fetch(url, { ...init, credentials: 'include' });
          const text = await response.text();
          return { status: response.status, body: text ? JSON.parse(text) : null };
        } catch {
          return 'blocked' as const;
        }
      },
      { url: apiBase + path, init },
    );
  }

  const csrfHeader = (seen: Seen) => {
    assert.notEqual(seen, 'blocked');
    return { 'x-csrftoken': (seen as { body: { csrf_token: string } }).body.csrf_token };
  };

  test('the front end logs in, cannot see csrftoken in document.cookie, reads /csrf and makes cookie-authenticated changes', async () => {
    const app = await pageOn('app.example.test', front);
    const login = await call(app, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: EMAIL, password: PASSWORD }).toString(),
    });
    assert.deepEqual(login, { status: 204, body: null });
    assert.deepEqual(await call(app, '/users/me'), { status: 200, body: { id: 1, email: EMAIL, is_active: true, is_superuser: false, is_verified: false } });
    // The cookies belong to auth.example.test: the page's own document.cookie does not show them.
    assert.equal(await app.evaluate(() => document.cookie), '');

    const patch = { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ current_password: PASSWORD }) };
    // Without the header the cookie-authenticated PATCH is refused: the CSRF check is in force.
    assert.deepEqual(await call(app, '/users/me', patch), { status: 403, body: { detail: 'CSRF token verification failed', code: 'CSRF_TOKEN_INVALID' } });

    const token = await call(app, '/csrf');
    const header = csrfHeader(token);
    const cookies = await context.cookies(apiBase);
    assert.equal(cookies.find((cookie) => cookie.name === 'csrftoken')?.value, header['x-csrftoken'], "the body holds the cookie's token");

    const changed = await call(app, '/users/me', { ...patch, headers: { ...patch.headers, ...header } });
    assert.equal((changed as { status: number }).status, 200);
    assert.equal((changed as { body: { email: string } }).body.email, EMAIL);
    await app.close();
  });

  test('an origin of the same site not in CORS_ORIGINS cannot read /csrf, nor act with a guessed header', async () => {
    const attacker = await pageOn('evil.example.test', evil);
    served.length = 0;
    assert.equal(await call(attacker, '/csrf'), 'blocked');
    // The server did answer; CORS gave the answer no Access-Control-Allow-Origin, so the browser kept it from the page.
    const answered = served.filter((entry) => entry.url === '/csrf');
    assert.deepEqual(
      answered.map((entry) => [entry.status, entry.allowOrigin]),
      [[200, undefined]],
    );
    // In no-cors mode the browser refuses the answer outright (Cross-Origin-Resource-Policy:
    // same-origin, src/http/security-headers.ts); the cookie is not the page's to read either.
    const noCors = await attacker.evaluate(async (url) => {
      try {
        const response = await fetch(url, { credentials: 'include', mode: 'no-cors' });
        return { type: response.type, text: await response.text() };
      } catch {
        return 'blocked';
      }
    }, `${apiBase}/csrf`);
    assert.equal(noCors, 'blocked');
    assert.equal(await attacker.evaluate(() => document.cookie), '');
    // A logout with any header is stopped at the preflight: never sent.
    served.length = 0;
    assert.equal(await call(attacker, '/logout', { method: 'POST', headers: { 'x-csrftoken': 'guess' } }), 'blocked');
    assert.equal(served.filter((entry) => entry.method === 'POST').length, 0);
    await attacker.close();

    const app = await pageOn('app.example.test', front);
    assert.equal(((await call(app, '/users/me')) as { status: number }).status, 200, 'the victim is still logged in');
    await app.close();
  });

  test('the front end logs out with the token from /csrf; the session is gone', async () => {
    const app = await pageOn('app.example.test', front);
    const header = csrfHeader(await call(app, '/csrf'));
    assert.deepEqual(await call(app, '/logout', { method: 'POST', headers: header }), { status: 204, body: null });
    assert.equal(((await call(app, '/users/me')) as { status: number }).status, 401);
    // After logout /csrf still answers (a token bound to no session), for the next login.
    assert.equal(((await call(app, '/csrf')) as { status: number }).status, 200);
    await app.close();
  });

  test("the project's web page served from app.example.test logs in and out (its CSRF token from /csrf)", async () => {
    const own = await browser.newContext();
    own.setDefaultTimeout(10_000);
    const page = await own.newPage();
    await page.goto(`http://app.example.test:${webPage.port}/front/`);
    await page.locator('#login-email').fill(EMAIL);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
    served.length = 0;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('status').filter({ hasText: 'logged out' }).waitFor();
    // Then the page asks /users/me again (401: logged out).
    const requests = served.filter((entry) => entry.method !== 'OPTIONS').map((entry) => `${entry.method} ${entry.url} ${entry.status}`);
    assert.deepEqual(requests.slice(0, 2), ['GET /csrf 200', 'POST /logout 204']);
    await own.close();
  });
});
