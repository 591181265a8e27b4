/**
 * Passkeys in real Chromium with a virtual authenticator (Chrome DevTools Protocol
 * `WebAuthn.addVirtualAuthenticator`: a platform authenticator with resident keys and user
 * verification), against the whole service at http://localhost:<port> (WebAuthn needs a secure
 * context and a domain as RP ID; PUBLIC_URL says localhost). The browser's own
 * `navigator.credentials` makes every credential and assertion; the server verifies them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { addPlatformAuthenticator, axeViolations, launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';
import { totpAt } from '../support/totp.js';
import { internalsOf } from '../support/internals.js';

const CHROMIUM = chromium();
/** In the page: a JSON call with the CSRF header a cookie session needs; returns status and body. */
async function call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const response = await fetch(path, {
        method,
        headers: { 'x-csrftoken': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    { method, path, body },
  );
}

/** In the page: registration options → navigator.credentials.create() → the credential's JSON. */
async function createCredential(page: Page): Promise<unknown> {
  const options = await call(page, 'POST', '/users/me/passkeys/options');
  assert.equal(options.status, 200, JSON.stringify(options.body));
  return page.evaluate(async (json) => {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(json);
    const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
    return credential.toJSON();
  }, options.body);
}

/** In the page: sign-in options (sets the challenge cookie) → navigator.credentials.get() → the assertion's JSON. */
async function getAssertion(page: Page): Promise<unknown> {
  const options = await call(page, 'POST', '/passkeys/login/options');
  assert.equal(options.status, 200);
  assert.deepEqual(options.body.allowCredentials, [], 'no email, no credential list: discoverable credentials only');
  assert.equal(options.body.userVerification, 'required');
  return page.evaluate(async (json) => {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(json);
    const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
    return credential.toJSON();
  }, options.body);
}

describe('passkeys in Chromium with a virtual authenticator', { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    await buildWeb();
    server = await startPageServer({ hostname: 'localhost' });
    browser = await launchChromium(CHROMIUM.value!);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh profile with one virtual platform authenticator, on the page. */
  async function browserWithAuthenticator(): Promise<{ page: Page; authenticatorId: string }> {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const authenticatorId = await addPlatformAuthenticator(cdp);
    await page.goto(`${server.url}/`);
    return { page, authenticatorId };
  }

  async function register(email: string): Promise<void> {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(response.status, 201);
  }

  /** Signs the page in with the password, through /login from the page (its cookies). */
  async function passwordLogin(page: Page, email: string): Promise<void> {
    const status = await page.evaluate(
      async ({ email, password }) => (await fetch('/login', { method: 'POST', body: new URLSearchParams({ email, password }) })).status,
      { email, password: PASSWORD },
    );
    assert.equal(status, 204);
  }

  test('register, list, sign in without an email (no otp for a TOTP user), replay refused, counter checked, deletion refused', async () => {
    await register('passkey@example.com');
    const { page } = await browserWithAuthenticator();
    await passwordLogin(page, 'passkey@example.com');

    // Register and list.
    const registration = await createCredential(page);
    const created = await call(page, 'POST', '/users/me/passkeys', { name: 'Laptop', response: registration });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['created_at', 'id', 'name']);
    assert.equal(created.body.name, 'Laptop');
    const listed = await call(page, 'GET', '/users/me/passkeys');
    assert.deepEqual(listed.body, [{ id: created.body.id, name: 'Laptop', created_at: created.body.created_at, last_used_at: null }]);

    // A registration response cannot be used twice (its challenge is spent); the authenticator
    // itself refuses a second credential for this account (excludeCredentials).
    const replayedRegistration = await call(page, 'POST', '/users/me/passkeys', { response: registration });
    assert.deepEqual({ s: replayedRegistration.status, c: replayedRegistration.body.code }, { s: 400, c: 'PASSKEY_INVALID' });

    // The account gets TOTP: a password alone no longer signs in.
    const bearer = await (
      await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'passkey@example.com', password: PASSWORD }) })
    ).json();
    const begin = await fetch(`${server.url}/users/me/totp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ current_password: PASSWORD }),
    });
    const { secret } = await begin.json();
    const confirm = await fetch(`${server.url}/users/me/totp/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: totpAt(secret, new Date()) }),
    });
    assert.equal(confirm.status, 200);

    // Enabling TOTP ended the browser's session (another session than the bearer's that enabled it).
    assert.equal((await call(page, 'GET', '/users/me')).status, 401);
    // Signed out, a passkey signs in without an email and without an otp.
    const assertion = await getAssertion(page);
    const csrfBefore = await page.evaluate(() => document.cookie);
    const signedIn = await call(page, 'POST', '/passkeys/login', { response: assertion });
    assert.equal(signedIn.status, 204, JSON.stringify(signedIn.body));
    assert.notEqual(await page.evaluate(() => document.cookie), csrfBefore, 'the CSRF cookie rotates with the new session');
    assert.equal((await call(page, 'GET', '/users/me')).body.email, 'passkey@example.com');
    const used = (await call(page, 'GET', '/users/me/passkeys')).body.find((p: { id: number }) => p.id === created.body.id);
    assert.equal(typeof used.last_used_at, 'string', 'the use is recorded');

    // The same assertion again: refused, with the spent challenge cookie gone or with a fresh one.
    const replay = await call(page, 'POST', '/passkeys/login', { response: assertion });
    assert.deepEqual({ s: replay.status, c: replay.body.code }, { s: 400, c: 'PASSKEY_INVALID' });
    await call(page, 'POST', '/passkeys/login/options');
    const replayWithFreshChallenge = await call(page, 'POST', '/passkeys/login', { response: assertion });
    assert.deepEqual({ s: replayWithFreshChallenge.status, c: replayWithFreshChallenge.body.code }, { s: 400, c: 'PASSKEY_INVALID' });

    // The signature counter must grow: a stored counter ahead of the authenticator's is refused.
    const store = internalsOf(server.app).auth.store.passkeys;
    const record = (await store.listPasskeys((await internalsOf(server.app).auth.store.findUserByEmail('passkey@example.com'))!.id)).find(
      (p) => p.id === created.body.id,
    )!;
    assert.ok(record.counter > 0, 'the virtual authenticator counts its signatures');
    assert.ok(await store.usePasskey(record.id, record.counter, 1_000_000, new Date()));
    const cloned = await call(page, 'POST', '/passkeys/login', { response: await getAssertion(page) });
    assert.deepEqual({ s: cloned.status, c: cloned.body.code }, { s: 400, c: 'PASSKEY_INVALID' });
    assert.ok(await store.usePasskey(record.id, 1_000_000, record.counter, new Date()));

    // Deleted: another user cannot delete it (404); its owner can, and then it no longer signs in.
    await register('other@example.com');
    const otherBearer = (
      await (await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'other@example.com', password: PASSWORD }) })).json()
    ).access_token;
    const foreign = await fetch(`${server.url}/users/me/passkeys/${created.body.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${otherBearer}` },
    });
    assert.equal(foreign.status, 404);
    for (const passkey of (await call(page, 'GET', '/users/me/passkeys')).body) {
      assert.equal((await call(page, 'DELETE', `/users/me/passkeys/${passkey.id}`)).status, 204);
    }
    assert.equal((await call(page, 'DELETE', `/users/me/passkeys/${created.body.id}`)).status, 404);
    assert.deepEqual((await call(page, 'GET', '/users/me/passkeys')).body, []);
    await call(page, 'POST', '/logout');
    const deleted = await call(page, 'POST', '/passkeys/login', { response: await getAssertion(page) });
    assert.deepEqual({ s: deleted.status, c: deleted.body.code }, { s: 400, c: 'PASSKEY_INVALID' });
  });

  test("the page's own buttons: set up two-factor sign-in (QR code, recovery codes), the otp step at login, add and delete a passkey, sign in with a passkey; axe-clean views", async () => {
    await register('page@example.com');
    const { page } = await browserWithAuthenticator();
    const notice = (text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'signed-out view');

    // Log in with the password, through the form.
    await page.locator('#login-email').fill('page@example.com');
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#profile').waitFor();
    await page.locator('#totp-status', { hasText: 'off' }).waitFor();

    // Set up TOTP: the secret, the otpauth:// link and a QR code drawn in the page; the first code turns it on.
    await page.getByLabel('Current password').and(page.locator('#totp-start-password')).fill(PASSWORD);
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await page.locator('#totp-setup').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'totp-setup-title', 'focus moves to the set-up');
    const secret = (await page.locator('#totp-secret').textContent())!;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.match((await page.locator('#totp-link').getAttribute('href'))!, new RegExp(`^otpauth://totp/.*secret=${secret}`));
    const qr = page.getByRole('img', { name: /QR code/ });
    assert.ok(((await qr.locator('path').getAttribute('d')) ?? '').length > 100, 'the QR code is drawn');
    assert.deepEqual(await axeViolations(page), [], 'profile with the TOTP set-up');
    await page.getByLabel('Code from the app', { exact: true }).fill(totpAt(secret, new Date()));
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.locator('#totp-recovery').waitFor();
    const codes = await page.locator('#totp-recovery-list li').allTextContents();
    assert.equal(codes.length, 10);
    await page.locator('#totp-status', { hasText: '10 recovery codes left' }).waitFor();
    assert.deepEqual(await axeViolations(page), [], 'profile with the recovery codes');

    // Add a passkey with the page's button; it shows in the list.
    await page.getByLabel('Name of the new passkey (optional)').fill('Virtual key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await notice('The passkey is added.');
    await page.locator('#passkeys-list li', { hasText: 'Virtual key' }).waitFor();

    // Log out; the password now leads to the otp step, where a recovery code finishes the sign-in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await notice('You are logged out.');
    await page.locator('#login-email').fill('page@example.com');
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#otp-form').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'otp-code', 'focus moves to the code');
    assert.deepEqual(await axeViolations(page), [], 'the otp step');
    await page.getByLabel('One-time code').fill(codes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#profile').waitFor();
    await page.locator('#totp-status', { hasText: '9 recovery codes left' }).waitFor();

    // Log out; "Sign in with a passkey" signs in without email, password or code.
    await page.getByRole('button', { name: 'Log out' }).click();
    await notice('You are logged out.');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.locator('#profile').waitFor();
    assert.equal(await page.locator('#profile-email').textContent(), 'page@example.com');

    // Delete the passkey from the list; then it no longer signs in.
    await page.locator('#passkeys-list').getByRole('button', { name: 'Delete', exact: true }).click();
    await notice('The passkey "Virtual key" is deleted.');
    await page.locator('#passkeys-empty').waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await notice('You are logged out.');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('alert').filter({ hasText: 'The passkey response is invalid' }).waitFor();

    // The page's #/otp route finishes a pending sign-in started elsewhere (here /login without
    // otp, as an identity provider's callback would for an account with TOTP).
    const pending = await page.evaluate(
      async (password) => (await fetch('/login', { method: 'POST', body: new URLSearchParams({ email: 'page@example.com', password }) })).status,
      PASSWORD,
    );
    assert.equal(pending, 401);
    await page.goto(`${server.url}/#/otp`);
    await page.locator('#otp-form').waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the route is taken out of the address bar');
    await page.getByLabel('One-time code').fill(codes[1]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#profile').waitFor();
    // Turn TOTP off from the page (password + a recovery code).
    await page.locator('#totp-disable-password').fill(PASSWORD);
    await page.getByLabel('Code from the app, or a recovery code').fill(codes[2]!);
    await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click();
    await notice('Two-factor sign-in is off.');
    await page.locator('#totp-status', { hasText: 'off' }).waitFor();
    await page.screenshot({ path: 'test-artifacts/web-two-factor.png', fullPage: true }).catch(() => {});
  });

  test("garbage for a passkey's credential id from other addresses does not keep its owner out; it throttles those addresses", async () => {
    await register('targeted@example.com');
    const { page } = await browserWithAuthenticator();
    await passwordLogin(page, 'targeted@example.com');
    const created = await call(page, 'POST', '/users/me/passkeys', { response: await createCredential(page) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await call(page, 'POST', '/logout');
    const user = await internalsOf(server.app).auth.store.findUserByEmail('targeted@example.com');
    const [passkey] = await internalsOf(server.app).auth.store.passkeys.listPasskeys(user!.id);
    const id = passkey!.credentialId;
    const garbage = {
      id,
      rawId: id,
      type: 'public-key',
      response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
      clientExtensionResults: {},
    };
    for (let a = 1; a <= 12; a++) {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          (await server.app.inject({ method: 'POST', url: '/passkeys/login', remoteAddress: `203.0.113.${a}`, payload: { response: garbage } })).statusCode,
        );
      }
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429], `from 203.0.113.${a}`);
    }
    const signedIn = await call(page, 'POST', '/passkeys/login', { response: await getAssertion(page) });
    assert.equal(signedIn.status, 204, JSON.stringify(signedIn.body));
    assert.equal((await call(page, 'GET', '/users/me')).body.email, 'targeted@example.com');
  });
});
