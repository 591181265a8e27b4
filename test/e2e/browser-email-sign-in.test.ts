/**
 * "Email me a sign-in link" in real Chromium against the whole service with a real SMTP server:
 * the code typed in the browser that asked, the link opened there, and the link opened in
 * another browser, which is told where it works. axe-core runs over each view.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { axeViolations, launchChromium } from '../support/browser.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';
import { readSignInMail } from '../features/email-sign-in/flow.js';

const CHROMIUM = chromium();
const LINK_PATH = '/#/email-sign-in?token=';

describe('sign-in by email in the web page, in Chromium', { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    await buildWeb();
    server = await startPageServer();
    browser = await launchChromium(CHROMIUM.value!);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser profile, with its own cookies. */
  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 800 } });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    return { context, page: await context.newPage() };
  }

  async function register(email: string): Promise<void> {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'a long enough passphrase here' }),
    });
    assert.equal(response.status, 201, await response.text());
  }

  /** The newest sign-in mail to `address`: its link and code. */
  async function mailTo(address: string): Promise<{ link: string; code: string; token: string }> {
    const { link, token } = await server.mailedLink(address, LINK_PATH);
    const mail = server.smtp.messages.filter((m) => m.to.includes(address)).at(-1)!;
    return { link, token, code: readSignInMail(mail).code };
  }

  /** Asks for a mail from the log-in view, and checks the views on the way. */
  async function askFromPage(page: Page, email: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Sign in by email' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'the email form is accessible');
    await page.locator('#email-sign-in-email').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByLabel('Code from the mail').waitFor();
    assert.equal(await page.locator('#email-code-address').textContent(), email);
    assert.deepEqual(await axeViolations(page), [], 'the code entry is accessible');
  }

  test('the code from the mail, typed in the browser that asked, signs in', async () => {
    const email = 'by-code@example.com';
    await register(email);
    const { page } = await newContext();
    await askFromPage(page, email);
    const { code } = await mailTo(email);
    await page.getByLabel('Code from the mail').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#profile').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), email);
  });

  test('the link in another browser says where it works and signs nothing in; in the browser that asked it signs in', async () => {
    const email = 'by-link@example.com';
    await register(email);
    const asking = await newContext();
    await askFromPage(asking.page, email);
    const { link, token } = await mailTo(email);
    assert.ok(link.startsWith(`${server.url}${LINK_PATH}`), link);

    const other = await newContext();
    await other.page.goto(link);
    await other.page.getByRole('heading', { name: 'Open the link in the browser that asked' }).waitFor();
    assert.equal(other.page.url(), `${server.url}/`, 'the token is gone from the address bar');
    assert.deepEqual(await axeViolations(other.page), [], 'the other-browser view is accessible');
    assert.equal((await other.context.cookies()).filter((c) => c.name === 'token').length, 0, 'no session there');

    const tab = await asking.context.newPage();
    await tab.goto(link);
    await tab.locator('#profile').waitFor();
    assert.equal(await tab.locator('#profile-email').textContent(), email);
    assert.ok(
      server.requestedUrls.every((url) => !url.includes(token)),
      'the token never reaches the server in a URL',
    );

    // Used once: opened again, the page says so.
    const again = await newContext();
    await again.page.goto(link);
    await again.page.getByRole('alert').filter({ hasText: 'The sign-in link is invalid, used or expired' }).waitFor();
  });
});
