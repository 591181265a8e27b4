/**
 * The page's "Confirm it's you" prompt in real Chromium: adding a passkey from a session whose
 * sign-in is older than the recent-authentication window answers REAUTHENTICATION_REQUIRED; the
 * page asks for the password (or a one-time code), calls POST /users/me/reauthenticate and adds
 * the passkey on the second try; "Link <provider>" likewise, confirmed with a passkey. The server's clock is moved past the window rather than the test
 * waiting ten minutes; Chromium's virtual authenticator makes the credentials (as in
 * browser-passkeys.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { DEFAULT_REAUTHENTICATION_WINDOW } from '../../src/core/options.js';
import { addPlatformAuthenticator, axeViolations, launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';
import { totpAt } from '../support/totp.js';
import { startTestProvider, type TestProvider } from '../features/oauth-client/test-provider.js';

const CHROMIUM = chromium();

describe("the web page's re-authentication prompt in Chromium", { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let op: TestProvider;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** How far the server's clock is ahead of the real one. */
  let skew = 0;
  const serverNow = (): Date => new Date(Date.now() + skew);
  /** Moves the server's clock past the window: the session's sign-in is no longer recent. */
  const outlastWindow = (): void => {
    skew += (DEFAULT_REAUTHENTICATION_WINDOW + 1) * 1000;
  };

  before(async () => {
    await buildWeb();
    // The provider's pages are never reached (the test stops at the navigation to them): any redirect URI does.
    op = await startTestProvider({ redirectUris: ['http://localhost/oauth/acme/callback'] });
    server = await startPageServer({
      hostname: 'localhost',
      now: serverNow,
      env: { OAUTH_PROVIDERS: 'acme', OAUTH_ACME_CLIENT_ID: op.clientId, OAUTH_ACME_CLIENT_SECRET: op.clientSecret, OAUTH_ACME_ISSUER: op.issuer },
    });
    browser = await launchChromium(CHROMIUM.value!);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await op?.close();
  });

  /** A fresh virtual platform authenticator (the previous one, if any, goes away with its credentials). */
  async function newAuthenticator(cdp: CDPSession, previous?: string): Promise<string> {
    if (previous) await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: previous });
    return addPlatformAuthenticator(cdp);
  }

  /** A fresh browser profile with a virtual authenticator, signed in with the password through the log-in form. */
  async function signedInPage(email: string): Promise<{ page: Page; cdp: CDPSession; authenticatorId: string }> {
    const registered = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(registered.status, 201);
    const context = await browser.newContext();
    contexts.push(context);
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const authenticatorId = await newAuthenticator(cdp);
    await page.goto(`${server.url}/`);
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
    return { page, cdp, authenticatorId };
  }

  async function passkeyCount(page: Page): Promise<number> {
    return page.evaluate(async () => ((await (await fetch('/users/me/passkeys')).json()) as unknown[]).length);
  }

  test('adding a passkey after the window: the prompt asks for the password (a wrong one adds nothing), then the passkey is added; Escape cancels; a TOTP user may give a code; axe-clean', async () => {
    const { page, cdp, authenticatorId: first } = await signedInPage('sudo@example.com');
    let authenticatorId = first;
    const notice = (text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
    const dialog = page.getByRole('dialog', { name: "Confirm it's you" });

    // Ten minutes later: "Add a passkey" opens the prompt, focus on the password; the page behind is inert.
    outlastWindow();
    const add = page.getByRole('button', { name: 'Add a passkey' });
    await page.getByLabel('Name of the new passkey (optional)').fill('Laptop');
    await add.click();
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'reauth-password', 'focus moves into the prompt');
    assert.equal(await page.locator('#reauth-otp-form').isVisible(), false, 'no code field without two-factor sign-in');
    assert.equal(await page.getByRole('button', { name: 'Use a passkey' }).isVisible(), false, 'no passkey to use yet');
    assert.deepEqual(await axeViolations(page), [], 'the prompt');

    // A wrong password: the error in the prompt, announced, on the field; nothing added.
    await dialog.getByLabel('Current password').fill('not the password at all');
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    const error = dialog.getByRole('alert');
    await error.filter({ hasText: /password/i }).waitFor();
    assert.equal(await page.locator('#reauth-password').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'reauth-password', 'focus back on the field to correct');
    assert.equal(await passkeyCount(page), 0, 'a wrong password adds nothing');
    assert.equal(await dialog.isVisible(), true);
    assert.deepEqual(await axeViolations(page), [], 'the prompt with its error');

    // The right password: the prompt closes, the passkey is added on the retry, focus returns to the button.
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm', exact: true }).click();
    await notice('The passkey is added.');
    await page.locator('#passkeys-list li', { hasText: 'Laptop' }).waitFor();
    assert.equal(await dialog.isVisible(), false);
    assert.equal(await passkeyCount(page), 1);
    await page.waitForFunction(() => document.activeElement?.textContent === 'Add a passkey');

    // Later again: Escape closes the prompt, nothing is added, the page says so.
    outlastWindow();
    authenticatorId = await newAuthenticator(cdp, authenticatorId);
    await add.click();
    await dialog.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Use a passkey' }).isVisible(), true, 'the account has a passkey now');
    await page.keyboard.press('Escape');
    await page.getByRole('alert').filter({ hasText: 'Nothing was changed' }).waitFor();
    assert.equal(await dialog.isVisible(), false);
    assert.equal(await passkeyCount(page), 1);

    // Two-factor sign-in on (its form takes the password itself, no prompt); later, a recovery code confirms.
    await page.locator('#totp-start-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    // The secret is read only once the set-up is shown: before the answer, the element is still empty.
    await page.locator('#totp-setup').waitFor();
    const secret = (await page.locator('#totp-secret').textContent())!;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app', { exact: true }).fill(totpAt(secret, serverNow()));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.locator('#totp-recovery').waitFor();
    const [recoveryCode] = await page.locator('#totp-recovery-list li').allTextContents();
    outlastWindow();
    await page.getByLabel('Name of the new passkey (optional)').fill('Phone');
    await add.click();
    await dialog.waitFor();
    const codeField = dialog.getByLabel('Or a code from your authenticator app, or a recovery code');
    assert.equal(await codeField.isVisible(), true, 'a TOTP user is offered the code field');
    assert.deepEqual(await axeViolations(page), [], 'the prompt with the code field and the passkey button');
    await codeField.fill(recoveryCode!);
    await dialog.getByRole('button', { name: 'Confirm with the code' }).click();
    await notice('The passkey is added.');
    await page.locator('#passkeys-list li', { hasText: 'Phone' }).waitFor();
    assert.equal(await passkeyCount(page), 2);
    await page.screenshot({ path: 'test-artifacts/web-reauthenticate.png', fullPage: true }).catch(() => {});
  });

  test('linking a provider after the window: "Use a passkey" confirms, then the page goes to the provider', async () => {
    const { page } = await signedInPage('linker@example.com');
    const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
    // Within the window: the passkey is added without a prompt.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByRole('status').filter({ hasText: 'The passkey is added.' }).waitFor();
    assert.equal(await dialog.isVisible(), false);

    outlastWindow();
    await page.route(`${op.issuer}/**`, (route) => route.fulfill({ contentType: 'text/plain', body: 'the provider' }));
    await page.getByRole('button', { name: 'Link Acme' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((address) => address.href.startsWith(op.issuer));
    assert.equal(new URL(page.url()).searchParams.get('client_id'), op.clientId, 'the link flow started after the passkey confirmed');
  });
});
