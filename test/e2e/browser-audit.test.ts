/**
 * The page's "Recent security activity" list and the support-session banner, in real Chromium
 * against the whole service (docs/audit.md): the user sees their sign-ins and a failed attempt;
 * a superuser's browser opens a support session as the user (transport "cookie"), sees the banner
 * naming them, and "Stop impersonating" ends it. axe-core checks both views.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { axeViolations, launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { internalsOf } from '../support/internals.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';

const CHROMIUM = chromium();

describe("the web page's security activity and support-session banner in Chromium", { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    await buildWeb();
    server = await startPageServer();
    browser = await launchChromium(CHROMIUM.value!);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-US' });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return context.newPage();
  }

  async function logIn(page: Page, email: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
  }

  const activity = (page: Page) => page.locator('#events-list li .device').allTextContents();

  test('the profile lists recent security activity, newest first, failed attempts included', async () => {
    const registered = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'activity@example.com', password: PASSWORD }),
    });
    assert.equal(registered.status, 201);
    const wrong = await fetch(`${server.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'activity@example.com', password: 'not the password at all' }),
    });
    assert.equal(wrong.status, 401);
    const page = await newPage();
    await logIn(page, 'activity@example.com');
    await page.getByRole('heading', { name: 'Recent security activity' }).waitFor();
    await page.locator('#events-list li').first().waitFor();
    assert.deepEqual(await activity(page), ['Signed in', 'Failed sign-in attempt', 'Account created']);
    assert.match((await page.locator('#events-list li .details').first().textContent()) ?? '', /from 127\.0\.0\.1 · .* · password/);
    assert.equal(await page.locator('#impersonation-banner').isVisible(), false);
    assert.deepEqual(await axeViolations(page), [], 'the profile with its activity');
  });

  test('a support session shows the banner with the superuser, and "Stop impersonating" ends it', async () => {
    await server.app.fastifyUsers.auth.register('support-root@example.com', PASSWORD, { isSuperuser: true });
    const rootId = (await internalsOf(server.app).auth.store.findUserByEmail('support-root@example.com'))!.id;
    const user = (await internalsOf(server.app).auth.store.findUserByEmail('activity@example.com'))!;
    const userPage = await newPage();
    await logIn(userPage, 'activity@example.com');

    const page = await newPage();
    await logIn(page, 'support-root@example.com');
    // A support tool in the superuser's browser: the cookie-authenticated call with the CSRF header, as the page makes them.
    const status = await page.evaluate(async (id) => {
      const csrf = document.cookie
        .split('; ')
        .find((c) => c.startsWith('csrftoken='))!
        .slice('csrftoken='.length);
      const response = await fetch(`/admin/users/${id}/impersonate`, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-csrftoken': decodeURIComponent(csrf) },
        body: JSON.stringify({ reason: 'ticket 4711', transport: 'cookie' }),
      });
      return response.status;
    }, user.id);
    assert.equal(status, 204);
    await page.reload();
    await page.locator('#impersonation-banner').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), 'activity@example.com');
    assert.equal(await page.locator('#impersonation-by').textContent(), `#${rootId}`);
    await page.locator('#events-list li').first().waitFor();
    assert.equal((await activity(page))[0], 'Support session started by an administrator');
    assert.match((await page.locator('#events-list li .details').first().textContent()) ?? '', new RegExp(`by administrator #${rootId}`));
    assert.deepEqual(await axeViolations(page), [], 'the profile with the banner');

    await page.getByRole('button', { name: 'Stop impersonating' }).click();
    await page.locator('#login-email').waitFor();
    await page.getByRole('status').filter({ hasText: 'The support session has ended' }).waitFor();
    // The user's own browser is still signed in, and sees the support session in its activity.
    await userPage.reload();
    await userPage.locator('#events-list li').first().waitFor();
    assert.deepEqual((await activity(userPage)).slice(0, 2), ['Support session ended', 'Support session started by an administrator']);
  });
});
