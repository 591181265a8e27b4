/**
 * The account-lifecycle views of the web page, clicked in real Chromium against the whole
 * service with a real SMTP server: links are read from received mail and opened in the browser
 * (PUBLIC_URL = the server's own address), and every outcome is checked from outside the page
 * (a login over HTTP, another browser context's cookie).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';

const CHROMIUM = chromium();
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const NEW_PASSWORD = 'violet kettle drums at midnight';
const LAPTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('the account views of the web page, in Chromium', { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];

  before(async () => {
    await buildWeb();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startPageServer();
    browser = await launchChromium(CHROMIUM.value!);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser profile (its own cookies), watched for CSP violations. */
  async function newContext(userAgent = LAPTOP_UA): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ userAgent, locale: 'en-US', viewport: { width: 900, height: 800 } });
    context.setDefaultTimeout(10_000);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    contexts.push(context);
    return { context, page: await context.newPage() };
  }

  /** Registers over HTTP (a non-browser client). */
  async function register(email: string, password = PASSWORD): Promise<void> {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(response.status, 201, await response.text());
  }

  /** The status of a login over HTTP: 204 for right credentials, 401 otherwise. */
  async function loginStatus(email: string, password: string): Promise<number> {
    const response = await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password }) });
    return response.status;
  }

  async function logIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), email);
  }

  const notice = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
  const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text }).waitFor();

  test('forgot password → the mailed link opens the reset form → the new password logs in', async () => {
    const email = 'forgetful@example.com';
    await register(email);
    const { context, page } = await newContext();
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.locator('#forgot-email').fill(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await notice(page, `If an account exists for ${email}`);

    const { link, token } = await server.mailedLink(email, '/#/reset-password?token=');
    assert.ok(link.startsWith(`${server.url}/#/reset-password?token=`), link);
    const mailTab = await context.newPage();
    await mailTab.goto(link);
    await mailTab.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // Read, then gone from the address bar; and never sent to the server in a URL.
    assert.equal(mailTab.url(), `${server.url}/`);
    assert.ok(
      server.requestedUrls.every((url) => !url.includes(token)),
      'the token never reaches the server in a URL',
    );

    // A refused password is explained and the link stays usable.
    await mailTab.locator('#reset-password').fill('short');
    await mailTab.getByRole('button', { name: 'Set new password' }).click();
    await alert(mailTab, /password/i);
    await mailTab.screenshot({ path: join(ARTIFACTS, 'web-account-reset.png'), fullPage: true });
    await mailTab.locator('#reset-password').fill(NEW_PASSWORD);
    await mailTab.getByRole('button', { name: 'Set new password' }).click();
    await notice(mailTab, 'Your password has been changed');
    assert.equal(await mailTab.locator('#login-email').inputValue(), email);
    await mailTab.locator('#login-password').fill(NEW_PASSWORD);
    await mailTab.getByRole('button', { name: 'Log in' }).click();
    await mailTab.locator('#profile').waitFor();
    assert.equal(await loginStatus(email, PASSWORD), 401, 'the old password no longer works');

    // The link is single use: opened again, the page says so.
    await mailTab.goto(link);
    await mailTab.locator('#reset-password').fill('another passphrase that is long');
    await mailTab.getByRole('button', { name: 'Set new password' }).click();
    await alert(mailTab, 'The reset token is invalid or has expired');

    // A truncated link (the token cut by a mail client) is explained, not sent.
    const before = server.requestedUrls.length;
    await mailTab.goto(`${server.url}/#/reset-password?token=${token.slice(0, 10)}`);
    await alert(mailTab, 'This link is incomplete');
    assert.equal(mailTab.url(), `${server.url}/`);
    assert.ok(!server.requestedUrls.slice(before).includes('/reset-password'), 'nothing posted to /reset-password');
  });

  test('verify email: the button mails a link, opening it marks the profile verified', async () => {
    const email = 'unverified@example.com';
    await register(email);
    const { page } = await newContext();
    await logIn(page, email);
    assert.equal(await page.locator('#profile-verified').textContent(), 'no');
    await page.getByRole('button', { name: 'Send verification mail' }).click();
    await notice(page, `A verification link has been mailed to ${email}`);

    const { link, token } = await server.mailedLink(email, '/#/verify?token=');
    assert.ok(link.startsWith(`${server.url}/#/verify?token=`), link);
    await page.goto(link);
    await notice(page, `Your email ${email} is verified.`);
    assert.equal(await page.locator('#profile-verified').textContent(), 'yes');
    assert.equal(await page.getByRole('button', { name: 'Send verification mail' }).isVisible(), false);
    assert.equal(page.url(), `${server.url}/`);
    assert.ok(server.requestedUrls.every((url) => !url.includes(token)));

    // A second use is refused with the API's sentence.
    await page.goto(link);
    await alert(page, 'The verification token is invalid or has expired');
    assert.equal(await page.locator('#profile-verified').textContent(), 'yes');
  });

  test('change password (old fails, new works), then change email', async () => {
    const email = 'changer@example.com';
    const newEmail = 'changed@example.com';
    await register(email);
    const { page } = await newContext();
    await logIn(page, email);

    await page.locator('#password-current').fill('not my password at all');
    await page.locator('#password-new').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await alert(page, 'The current password is incorrect');
    assert.equal(await loginStatus(email, PASSWORD), 204, 'nothing changed');

    await page.locator('#password-current').fill(PASSWORD);
    await page.locator('#password-new').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await notice(page, 'Your password has been changed');
    assert.equal(await loginStatus(email, PASSWORD), 401);
    assert.equal(await loginStatus(email, NEW_PASSWORD), 204);

    await page.locator('#email-new').fill(newEmail);
    await page.locator('#email-current-password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change email' }).click();
    await notice(page, `Your email is now ${newEmail}`);
    assert.equal(await page.locator('#profile-email').textContent(), newEmail);
    assert.equal(await page.locator('#profile-verified').textContent(), 'no');
    assert.equal(await loginStatus(newEmail, NEW_PASSWORD), 204);
    assert.equal(await loginStatus(email, NEW_PASSWORD), 401);
    // This browser's session survived both changes.
    await page.reload();
    await page.locator('#profile').waitFor();
  });

  test('sessions: two devices listed, "sign out this device" and "sign out all others" end the other one (screenshot)', async () => {
    const email = 'traveller@example.com';
    await register(email);
    const laptop = await newContext(LAPTOP_UA);
    const phone = await newContext(PHONE_UA);
    await logIn(phone.page, email);
    await logIn(laptop.page, email);

    const items = laptop.page.locator('#sessions-list li');
    assert.equal(await items.count(), 2);
    const mine = items.filter({ has: laptop.page.locator('.badge', { hasText: 'this device' }) });
    assert.match((await mine.textContent()) ?? '', /Chrome on Linux/);
    const other = items.filter({ hasText: 'Safari on iOS' });
    assert.match((await other.textContent()) ?? '', /from 127\.0\.0\.1/);
    await laptop.page.screenshot({ path: join(ARTIFACTS, 'web-account.png'), fullPage: true });

    await other.getByRole('button', { name: 'Sign out this device' }).click();
    await notice(laptop.page, 'Safari on iOS has been signed out');
    assert.equal(await items.count(), 1);
    assert.equal((await phone.context.request.get(`${server.url}/users/me`)).status(), 401);
    await phone.page.reload();
    await phone.page.locator('#signed-out').waitFor();

    // The phone logs in again (and a third device); "all others" ends both, not this one.
    await logIn(phone.page, email);
    const tablet = await newContext('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36');
    await logIn(tablet.page, email);
    await laptop.page.reload();
    await laptop.page.locator('#profile').waitFor();
    assert.equal(await items.count(), 3);
    await laptop.page.getByRole('button', { name: 'Sign out all other devices' }).click();
    await notice(laptop.page, 'All your other devices have been signed out');
    assert.equal(await items.count(), 1);
    assert.equal((await phone.context.request.get(`${server.url}/users/me`)).status(), 401);
    assert.equal((await tablet.context.request.get(`${server.url}/users/me`)).status(), 401);
    assert.equal((await laptop.context.request.get(`${server.url}/users/me`)).status(), 200);
    assert.equal(await laptop.page.getByRole('button', { name: 'Sign out all other devices' }).isVisible(), false);

    // Ending this device's own session from the list is a logout.
    await items.getByRole('button', { name: 'Sign out this device' }).click();
    await notice(laptop.page, 'You are logged out.');
    assert.equal(await laptop.page.locator('#signed-out').isVisible(), true);
    assert.equal((await laptop.context.request.get(`${server.url}/users/me`)).status(), 401);
  });

  test('delete account: a confirm step, the password, then logged out and the login fails', async () => {
    const email = 'leaving@example.com';
    await register(email);
    const { context, page } = await newContext();
    await logIn(page, email);

    const confirmButton = page.getByRole('button', { name: 'Delete my account permanently' });
    assert.equal(await confirmButton.isVisible(), false, 'nothing destructive before the first click');
    await page.getByRole('button', { name: 'Delete account…' }).click();
    await confirmButton.waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await confirmButton.waitFor({ state: 'hidden' });
    assert.equal(await loginStatus(email, PASSWORD), 204, 'cancel deletes nothing');

    await page.getByRole('button', { name: 'Delete account…' }).click();
    await page.locator('#delete-password').fill('a wrong password, clearly');
    await confirmButton.click();
    await alert(page, 'The current password is incorrect');
    await page.locator('#delete-title').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'web-account-delete.png') });
    await page.locator('#delete-password').fill(PASSWORD);
    await confirmButton.click();
    await notice(page, 'Your account has been deleted.');
    assert.equal(await page.locator('#signed-out').isVisible(), true);
    assert.equal(
      (await context.cookies(server.url)).find((cookie) => cookie.name === 'token'),
      undefined,
      'auth cookie cleared',
    );
    assert.equal(await loginStatus(email, PASSWORD), 401);
  });

  test('no CSP violation on any of these pages', () => {
    assert.ok(contexts.length > 0);
    assert.deepEqual(cspViolations, []);
  });
});
