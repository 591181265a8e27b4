/**
 * Signing in with another provider from the web page, in real Chromium, through a real OpenID
 * Provider's login and consent pages (oidc-provider on loopback): the whole service as `npm start`
 * builds it, configured by OAUTH_* variables; axe-core checks the views it changes.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { buildServer, readConfig } from '../../src/server.js';
import { launchChromium } from '../support/browser.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { freePort } from '../support/servers.js';
import { chromium } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { startTestProvider, type TestProvider } from '../features/oauth-client/test-provider.js';

const CHROMIUM = chromium();
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('"Continue with <provider>" in the web page, in Chromium', { skip: CHROMIUM.skip }, () => {
  const dir = tempDir();
  let op: TestProvider;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;

  before(async () => {
    await buildWeb();
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    op = await startTestProvider({ redirectUris: [`${url}/oauth/acme/callback`] });
    const config = readConfig({
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      SECRET_KEY: TEST_SECRET,
      COOKIE_SECURE: 'false',
      PUBLIC_URL: url,
      LOG_LEVEL: 'silent',
      OAUTH_PROVIDERS: 'acme',
      OAUTH_ACME_CLIENT_ID: op.clientId,
      OAUTH_ACME_CLIENT_SECRET: op.clientSecret,
      OAUTH_ACME_ISSUER: op.issuer,
    });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    app = await buildServer(config, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium(CHROMIUM.value!);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await op?.close();
    dir.cleanup();
  });

  async function newPage(): Promise<Page> {
    // axe is injected through the DevTools protocol; the page's own CSP stays as served.
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 900 } });
    context.setDefaultTimeout(10_000);
    return context.newPage();
  }

  /** axe-core's WCAG 2 A/AA rules over the page as shown: the violations' ids and targets. */
  async function axeViolations(page: Page): Promise<string[]> {
    await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> };
        }
      ).axe;
      return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  /** At the provider: sign in as `login` on its login page, then approve its consent page. */
  async function signInAtProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL(`${op.issuer}/**`);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text }).waitFor();

  test("a new user signs in through the provider's pages, sees the linked account, and cannot unlink the last one", async () => {
    op.accounts.set('chromium-user', { email: 'chromium@example.com', emailVerified: true });
    const page = await newPage();
    await page.goto(`${url}/`);
    const button = page.getByRole('link', { name: 'Continue with Acme' });
    await button.waitFor();
    assert.deepEqual(await axeViolations(page), [], 'the log-in view with the provider link');

    await button.click();
    await signInAtProvider(page, 'chromium-user');
    await page.locator('#profile').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), 'chromium@example.com');
    assert.equal(await page.locator('#profile-verified').textContent(), 'yes');
    await page.locator('#linked-list').getByText('Acme: chromium@example.com').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'the profile with linked accounts');
    await page.screenshot({ path: join(ARTIFACTS, 'web-oauth-profile.png'), fullPage: true });

    // The only way in for a user without a password: refused, with the reason shown.
    await page.getByRole('button', { name: 'Unlink' }).click();
    await alert(page, 'last way to sign in');
    assert.equal(await page.locator('#linked-list li').count(), 1);
  });

  test('a signed-in user links a provider account from the profile and unlinks it', async () => {
    const register = await fetch(`${url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'linker@example.com', password: PASSWORD }),
    });
    assert.equal(register.status, 201);
    op.accounts.set('linker-at-acme', { email: 'linker-elsewhere@example.com', emailVerified: false });
    const page = await newPage();
    await page.goto(`${url}/`);
    await page.locator('#login-email').fill('linker@example.com');
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#linked-empty').waitFor();

    await page.getByRole('button', { name: 'Link Acme' }).click();
    await signInAtProvider(page, 'linker-at-acme');
    await page.getByRole('status').filter({ hasText: 'The account is linked' }).waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), 'linker@example.com');
    await page.locator('#linked-list').getByText('Acme: linker-elsewhere@example.com').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the fragment is cleared');

    await page.getByRole('button', { name: 'Unlink' }).click();
    await page.getByRole('status').filter({ hasText: 'Acme is no longer linked' }).waitFor();
    assert.equal(await page.locator('#linked-list li').count(), 0);
  });

  test('failures come back to the page as a clear message: cancelled at the provider, an expired or foreign flow', async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Continue with Acme' }).click();
    await page.waitForURL(`${op.issuer}/**`);
    await page.getByRole('link', { name: '[ Cancel ]' }).click();
    await alert(page, 'did not confirm the sign-in');
    assert.equal(new URL(page.url()).hash, '');
    assert.deepEqual(await axeViolations(page), [], 'the log-in view with an error');

    // A callback this browser never started (e.g. a link from someone else).
    await page.goto(`${url}/oauth/acme/callback?code=forged&state=forged`);
    await alert(page, 'expired or was started in another window');
    assert.equal(await page.locator('#login-form').isVisible(), true);
  });
});
