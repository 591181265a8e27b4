/**
 * The browser half proven in real Chromium: the page's flows clicked as a user, a copy of the page
 * on another origin listed in CORS_ORIGINS, and attacker pages on another origin of the same site
 * (another port of localhost) and on another site (127.0.0.1) — each attack fails and the victim
 * stays logged in as themselves.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb, WEB_OUT_DIR } from '../../scripts/build-web.js';
import { buildServer, readConfig } from '../../src/server.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { launchChromium } from '../support/browser.js';
import { chromium } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { startAttackerServer, startFrontEndServer, type TinyServer } from './attacker-server.js';

const CHROMIUM = chromium();
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const VICTIM = 'victim@example.com';
const ATTACKER = { email: 'attacker@example.com', password: 'attacker passphrase of some length' };

describe('the web page and the attacks, in Chromium', { skip: CHROMIUM.skip }, () => {
  let api: FastifyInstance;
  let apiPort: number;
  let front: TinyServer;
  let evil: TinyServer;
  let browser: Browser;
  let victim: BrowserContext;
  let page: Page;
  const dir = tempDir();
  const cspViolations: string[] = [];
  /** Every request the API answered, seen from its HTTP server (statuses the browser may hide). */
  const served: { method: string; url: string; status: number }[] = [];

  before(async () => {
    await buildWeb();
    mkdirSync(ARTIFACTS, { recursive: true });
    // The front end's port must be listed in CORS_ORIGINS, so it starts first and learns the
    // API's address afterwards (its page reads the base per request).
    const apiBase = { value: '' };
    front = await startFrontEndServer(WEB_OUT_DIR, () => apiBase.value);
    const config = readConfig({
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      SECRET_KEY: TEST_SECRET,
      COOKIE_SECURE: 'false', // plain HTTP, as in development (docs/configuration.md)
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
    });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    // Own origin = the request's scheme + Host (the page is visited as localhost:<port>).
    config.auth.publicUrl = undefined;
    config.auth.corsOrigins = [`http://localhost:${front.port}`];
    api = await buildServer(config, { logger: false });
    await api.listen({ port: 0, host: '127.0.0.1' });
    apiPort = (api.server.address() as AddressInfo).port;
    api.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      response.on('finish', () => served.push({ method: request.method ?? '', url: request.url ?? '', status: response.statusCode }));
    });
    apiBase.value = `http://localhost:${apiPort}`;
    evil = await startAttackerServer(apiBase.value, ATTACKER);

    // The attacker has an account of their own (registered by a non-browser client: no Origin).
    const registered = await fetch(`http://127.0.0.1:${apiPort}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ATTACKER),
    });
    assert.equal(registered.status, 201);

    browser = await launchChromium(CHROMIUM.value!);
    victim = await browser.newContext();
    // Fail in seconds rather than Playwright's 30 s when an expectation does not hold.
    victim.setDefaultTimeout(10_000);
    page = await victim.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await evil?.close();
    await front?.close();
    await api?.close();
    dir.cleanup();
  });

  const apiURL = (path = '/') => `http://localhost:${apiPort}${path}`;

  /** The victim's own page says who is logged in (fresh load, so it asks /users/me). */
  async function loggedInAs(target: Page = page, url = apiURL('/')): Promise<string | null> {
    await target.goto(url);
    await target.locator('[data-view]:not([hidden])').first().waitFor();
    if (await target.locator('#profile').isVisible()) return target.locator('#profile-email').textContent();
    return null;
  }

  test('the page: register, see errors, log in, see the profile (screenshot in test-artifacts/)', async () => {
    await page.goto(apiURL('/'));
    await page.getByRole('heading', { name: 'Log in' }).waitFor();

    // A policy refusal (400) and a schema refusal (422 list) are shown from `detail`.
    await page.getByLabel('Email').nth(1).fill(VICTIM);
    await page.locator('#register-password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /password/i);
    await page.locator('#register-email').fill('not-an-email');
    await page.locator('#register-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').filter({ hasText: /email/ }).waitFor();

    await page.locator('#register-email').fill(VICTIM);
    await page.locator('#register-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('status').filter({ hasText: 'Account created' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'web-page.png'), fullPage: true });

    await page.locator('#login-password').fill('wrong password, for sure');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Incorrect email or password' }).waitFor();

    await page.locator('#login-email').fill(VICTIM);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), VICTIM);
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-profile.png'), fullPage: true });

    const cookies = await victim.cookies(apiURL('/'));
    const auth = cookies.find((c) => c.name === 'token');
    const csrf = cookies.find((c) => c.name === 'csrftoken');
    assert.ok(auth?.httpOnly, 'auth cookie is HttpOnly');
    assert.equal(auth?.sameSite, 'Lax');
    assert.equal(csrf?.httpOnly, false, 'CSRF cookie is readable by the page');
    assert.equal(await loggedInAs(), VICTIM);
  });

  for (const [site, host] of [
    ['same site (another port of localhost)', 'localhost'],
    ['another site (127.0.0.1)', '127.0.0.1'],
  ] as const) {
    const attackerURL = (path: string) => `http://${host}:${evil.port}${path}`;

    test(`${site}: a form POST to /logout fails and the victim stays logged in`, async () => {
      const attack = await victim.newPage();
      const response = attack.waitForResponse((r) => r.url() === apiURL('/logout'));
      await attack.goto(attackerURL('/logout-form'));
      assert.equal((await response).status(), 403);
      await attack.close();
      assert.equal(await loggedInAs(), VICTIM);
    });

    test(`${site}: a script that reads csrftoken and sends it cannot log the victim out`, async () => {
      const attack = await victim.newPage();
      served.length = 0;
      await attack.goto(attackerURL('/fetch'));
      await attack.waitForFunction(() => document.title === 'done');
      const result = JSON.parse((await attack.locator('#result').textContent()) ?? '{}');
      // The no-cors POST (no custom header allowed) does reach the server, and is refused there
      // (the browser then also hides the answer: Cross-Origin-Resource-Policy).
      const logouts = served.filter((entry) => entry.method === 'POST' && entry.url === '/logout');
      assert.deepEqual(
        logouts.map((entry) => entry.status),
        [403],
      );
      // On another port of the same host the script can read the cookie (cookies ignore ports):
      // what stops it is CORS (no preflight approval for x-csrftoken) and the Origin check.
      assert.equal(result.cookieSeen, host === 'localhost');
      assert.equal(result.withHeader, 'blocked', 'the preflight is refused, the request is never sent');
      await attack.close();
      assert.equal(await loggedInAs(), VICTIM);
    });

    test(`${site}: a login-CSRF form does not log the victim into the attacker's account`, async () => {
      const attack = await victim.newPage();
      const response = attack.waitForResponse((r) => r.url() === apiURL('/login'));
      await attack.goto(attackerURL('/login-csrf'));
      assert.equal((await response).status(), 403);
      await attack.close();
      assert.equal(await loggedInAs(), VICTIM);
    });

    test(`${site}: login CSRF against a logged-out browser fails too (the Origin check, not double submit)`, async () => {
      const fresh = await browser.newContext();
      fresh.setDefaultTimeout(10_000);
      const attack = await fresh.newPage();
      const response = attack.waitForResponse((r) => r.url() === apiURL('/login'));
      await attack.goto(attackerURL('/login-csrf'));
      assert.equal((await response).status(), 403);
      const cookies = await fresh.cookies(apiURL('/'));
      assert.equal(
        cookies.find((c) => c.name === 'token'),
        undefined,
        'no auth cookie was set',
      );
      assert.equal(await loggedInAs(attack), null);
      await fresh.close();
    });
  }

  test('the page on another origin listed in CORS_ORIGINS works (credentials + header from the cookie)', async () => {
    const other = await browser.newContext();
    other.setDefaultTimeout(10_000);
    const frontPage = await other.newPage();
    const frontURL = `http://localhost:${front.port}/front/`;
    assert.equal(await loggedInAs(frontPage, frontURL), null);
    await frontPage.locator('#login-email').fill(VICTIM);
    await frontPage.locator('#login-password').fill(PASSWORD);
    await frontPage.getByRole('button', { name: 'Log in' }).click();
    await frontPage.locator('#profile').waitFor();
    assert.equal(await frontPage.locator('#profile-email').textContent(), VICTIM);
    // Log out from there: a preflighted POST with x-csrftoken and the cookies.
    await frontPage.getByRole('button', { name: 'Log out' }).click();
    await frontPage.getByRole('status').filter({ hasText: 'logged out' }).waitFor();
    assert.equal(await loggedInAs(frontPage, frontURL), null);
    await other.close();
  });

  test('/docs renders in the browser under its CSP', async () => {
    const docs = await victim.newPage();
    await docs.goto(apiURL('/docs'));
    await docs.locator('.swagger-ui .info').waitFor();
    await docs.close();
  });

  test('log out from the page: the session ends and the page shows the forms', async () => {
    await page.goto(apiURL('/'));
    await page.locator('#profile').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('status').filter({ hasText: 'You are logged out.' }).waitFor();
    assert.equal(await page.locator('#signed-out').isVisible(), true);
    assert.equal(await loggedInAs(), null);
    assert.deepEqual(cspViolations, [], 'the page runs under its CSP without violations');
  });
});
