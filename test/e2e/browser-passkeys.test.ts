/**
 * Passkeys in real Chromium with a virtual authenticator (Chrome DevTools Protocol
 * `WebAuthn.addVirtualAuthenticator`: a platform authenticator with resident keys and user
 * verification), against the whole service at http://localhost:<port> (WebAuthn needs a secure
 * context and a domain as RP ID; PUBLIC_URL says localhost). The browser's own
 * `navigator.credentials` makes every credential and assertion; the server verifies them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chromium as playwright, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { PASSWORD } from '../helpers.js';
import { chromium } from '../services.js';
import { totpAt } from '../totp-helpers.js';
import { CHROMIUM_ARGS, startPageServer, type PageServer } from './page-server.js';

const CHROMIUM = chromium();

/** In the page: a JSON call with the CSRF header a cookie session needs; returns status and body. */
async function call(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return page.evaluate(async ({ method, path, body }) => {
    const csrf = /(?:^|; )csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? '';
    const response = await fetch(path, {
      method,
      headers: { 'x-csrftoken': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }, { method, path, body });
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
    browser = await playwright.launch({ executablePath: CHROMIUM.value, args: CHROMIUM_ARGS });
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
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.goto(`${server.url}/`);
    return { page, authenticatorId };
  }

  async function register(email: string): Promise<void> {
    const response = await fetch(`${server.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    assert.equal(response.status, 201);
  }

  /** Signs the page in with the password, through /login from the page (its cookies). */
  async function passwordLogin(page: Page, email: string): Promise<void> {
    const status = await page.evaluate(async ({ email, password }) =>
      (await fetch('/login', { method: 'POST', body: new URLSearchParams({ email, password }) })).status, { email, password: PASSWORD });
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
    const bearer = await (await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'passkey@example.com', password: PASSWORD }) })).json();
    const begin = await fetch(`${server.url}/users/me/totp`, { method: 'POST', headers: { authorization: `Bearer ${bearer.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ current_password: PASSWORD }) });
    const { secret } = await begin.json();
    const confirm = await fetch(`${server.url}/users/me/totp/confirm`, { method: 'POST', headers: { authorization: `Bearer ${bearer.access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ code: totpAt(secret, new Date()) }) });
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
    const store = server.app.fastifyUsers.auth.store.passkeys;
    const record = (await store.listPasskeys((await server.app.fastifyUsers.auth.store.findUserByEmail('passkey@example.com'))!.id))
      .find((p) => p.id === created.body.id)!;
    assert.ok(record.counter > 0, 'the virtual authenticator counts its signatures');
    assert.ok(await store.usePasskey(record.id, record.counter, 1_000_000, new Date()));
    const cloned = await call(page, 'POST', '/passkeys/login', { response: await getAssertion(page) });
    assert.deepEqual({ s: cloned.status, c: cloned.body.code }, { s: 400, c: 'PASSKEY_INVALID' });
    assert.ok(await store.usePasskey(record.id, 1_000_000, record.counter, new Date()));

    // Deleted: another user cannot delete it (404); its owner can, and then it no longer signs in.
    await register('other@example.com');
    const otherBearer = (await (await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'other@example.com', password: PASSWORD }) })).json()).access_token;
    const foreign = await fetch(`${server.url}/users/me/passkeys/${created.body.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${otherBearer}` } });
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
});
