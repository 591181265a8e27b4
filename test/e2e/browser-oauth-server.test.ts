/**
 * Our OAuth provider in real Chromium: an application sends a visitor to the authorization
 * endpoint; the web page asks them to sign in and returns to the request; the consent page (no
 * script, checked with axe-core) names the client; Allow ends at the client's redirect URI with a
 * code and `iss` — the browser following the form's redirects under the page's CSP — and Deny
 * with `access_denied`. A device (RFC 8628) gets its tokens once the user enters its code on our
 * page, signs in and allows it; "Connected apps" on the web page lists it, and Disconnect ends
 * its tokens. One server and one browser for all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import type { FastifyUsersInternals } from '../../src/http/services.js';
import { axeViolations, launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';

const CHROMIUM = chromium();

describe('signing in to an application with this service, in Chromium', { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  before(async () => {
    await buildWeb();
    server = await startPageServer({ env: { OAUTH_SERVER: 'on' } });
    browser = await launchChromium(CHROMIUM.value!);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Registers over HTTP; the new user's id. */
  async function register(email: string): Promise<number> {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(response.status, 201);
    return ((await response.json()) as { id: number }).id;
  }

  /** A fresh browser profile, watched for CSP violations (the engine writes some pages itself). */
  async function newContext(cspViolations: string[]): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return { context, page: await context.newPage() };
  }

  /** The web page's sign-in form, filled and sent (the page is showing it). */
  async function logIn(page: Page, email: string): Promise<void> {
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  test('sign in on the page, come back, consent on an accessible page, and land at the client with a code', async () => {
    const email = 'oauth-browser@example.com';
    const registered = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(registered.status, 201);
    // The client's redirect URI is another origin (as a real app's is): a loopback name of its own.
    const redirect = `${server.url.replace('127.0.0.1', 'localhost')}/app/callback`;
    const provider = (server.app.fastifyUsers as FastifyUsersInternals).oauthServer!;
    const client = await provider.clients.create({
      client_name: 'Partner Notes',
      redirect_uris: [redirect],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = new URL(`${server.url}/oauth2/authorize`);
    for (const [key, value] of Object.entries({
      client_id: client.client_id,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid email',
      state: 'state-1',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(key, value);
    }
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      // The page's sign-in, with a word on why.
      await page.locator('#login-email').waitFor();
      assert.match((await page.locator('#notice').textContent()) ?? '', /continue to the application/);
      await page.locator('#login-email').fill(email);
      await page.locator('#login-password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      // Back to the request: the consent page.
      await page.getByRole('heading', { name: 'Allow Partner Notes to use your account?' }).waitFor();
      assert.deepEqual(await axeViolations(page), []);
      assert.match((await page.locator('main').textContent()) ?? '', /localhost/);
      await Promise.all([page.waitForURL((target) => target.href.startsWith(redirect)), page.getByRole('button', { name: 'Allow Partner Notes' }).click()]);
      const landed = new URL(page.url());
      assert.ok(landed.searchParams.get('code'));
      assert.equal(landed.searchParams.get('state'), 'state-1');
      assert.equal(landed.searchParams.get('iss'), server.url);
    } finally {
      await context.close();
    }
  });
  test('Deny on the consent page sends the application access_denied, with state and iss', async () => {
    const email = 'oauth-deny@example.com';
    await register(email);
    const redirect = `${server.url.replace('127.0.0.1', 'localhost')}/deny/callback`;
    const provider = (server.app.fastifyUsers as FastifyUsersInternals).oauthServer!;
    const client = await provider.clients.create({
      client_name: 'Curious Widgets',
      redirect_uris: [redirect],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    });
    const url = new URL(`${server.url}/oauth2/authorize`);
    for (const [key, value] of Object.entries({
      client_id: client.client_id,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid profile',
      state: 'state-deny',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(key, value);
    }
    const cspViolations: string[] = [];
    const { context, page } = await newContext(cspViolations);
    try {
      // Signed in first this time: the request goes straight to the consent page.
      await page.goto(server.url);
      await logIn(page, email);
      await page.getByRole('heading', { name: 'Your profile' }).waitFor();
      await page.goto(url.href);
      await page.getByRole('heading', { name: 'Allow Curious Widgets to use your account?' }).waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /See your basic profile/);
      await Promise.all([page.waitForURL((target) => target.href.startsWith(redirect)), page.getByRole('button', { name: 'Deny' }).click()]);
      const landed = new URL(page.url());
      assert.equal(landed.searchParams.get('error'), 'access_denied');
      assert.equal(landed.searchParams.get('state'), 'state-deny');
      assert.equal(landed.searchParams.get('iss'), server.url);
      assert.equal(landed.searchParams.get('code'), null);
      assert.deepEqual(cspViolations, []);
    } finally {
      await context.close();
    }
  });

  describe('a device, then Connected apps', () => {
    const email = 'oauth-device@example.com';
    let userId: number;
    let config: oidc.Configuration;
    let tokens: oidc.TokenEndpointResponse;
    let context: BrowserContext;
    let page: Page;
    const cspViolations: string[] = [];
    before(async () => {
      userId = await register(email);
      const provider = (server.app.fastifyUsers as FastifyUsersInternals).oauthServer!;
      const client = await provider.clients.create({
        client_name: 'Living Room TV',
        redirect_uris: [],
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        token_endpoint_auth_method: 'none',
      });
      config = await oidc.discovery(new URL(server.url), client.client_id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
      ({ context, page } = await newContext(cspViolations));
    });
    after(async () => context?.close());

    test('the user enters the code on our page (a wrong one first), signs in, confirms, allows: the device polls and gets tokens', async () => {
      const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email offline_access' });
      assert.equal(device.verification_uri, `${server.url}/oauth2/device`);
      await page.goto(device.verification_uri);
      await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
      assert.deepEqual(await axeViolations(page), []);

      // A code nobody was given: said so on the page, the field marked and described by it.
      const field = page.getByLabel('Code shown on your device');
      await field.fill('BBBB-CCCC');
      await page.getByRole('button', { name: 'Continue' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /not right/);
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.deepEqual(await axeViolations(page), []);

      // The right one (typed in lower case, as people do): the page names the app and repeats the code.
      await field.fill(device.user_code.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Connect Living Room TV to your account?' }).waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', new RegExp(device.user_code));
      assert.deepEqual(await axeViolations(page), []);
      await page.getByRole('button', { name: 'Continue' }).click();

      // Not signed in: the web page's sign-in, then back to the request's consent.
      await page.locator('#login-email').waitFor();
      await logIn(page, email);
      await page.getByRole('heading', { name: 'Allow Living Room TV to use your account?' }).waitFor();
      assert.match((await page.locator('main').textContent()) ?? '', /on the device you are connecting/);
      assert.deepEqual(await axeViolations(page), []);
      await page.getByRole('button', { name: 'Allow Living Room TV' }).click();
      await page.getByRole('heading', { name: 'Living Room TV is connected' }).waitFor();
      assert.deepEqual(await axeViolations(page), []);

      // The device's polling (RFC 8628 §3.4) now gets its tokens, and they work.
      tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
      assert.ok(tokens.refresh_token);
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
      assert.equal(userinfo.sub, String(userId));
      assert.equal(userinfo.email, email);
      assert.deepEqual(cspViolations, []);
    });

    test('Connected apps lists it; Disconnect removes it and its tokens are refused', async () => {
      assert.ok(tokens, 'the device was connected by the test before');
      await page.goto(server.url);
      const section = page.getByRole('region', { name: 'Connected apps' });
      const item = section.getByRole('listitem').filter({ hasText: 'Living Room TV' });
      await item.waitFor();
      assert.match((await item.textContent()) ?? '', /see your email address/);
      assert.equal(await section.getByRole('link', { name: 'Connect a device' }).getAttribute('href'), '/oauth2/device');
      assert.deepEqual(await axeViolations(page), []);

      await item.getByRole('button', { name: 'Disconnect' }).click();
      await page.locator('#notice', { hasText: 'Living Room TV is disconnected' }).waitFor();
      await section.getByText('No connected apps.').waitFor();
      assert.equal(await section.getByRole('listitem').count(), 0);
      assert.deepEqual(await axeViolations(page), []);

      const userinfo = await fetch(`${server.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal(userinfo.status, 401);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
      assert.deepEqual(cspViolations, []);
    });

    test('the link with the code in it fills the field; Cancel on the confirmation, or Deny on the consent, tells the device access_denied', async () => {
      const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
      assert.ok(device.verification_uri_complete);
      await page.goto(device.verification_uri_complete);
      // Not posted by script: the code waits in our field for the user to read and send.
      const field = page.getByLabel('Code shown on your device');
      assert.equal(await field.inputValue(), device.user_code);
      assert.equal(new URL(page.url()).searchParams.get('user_code'), device.user_code);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Connect Living Room TV to your account?' }).waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /cancelled: the device was not connected/);
      assert.deepEqual(await axeViolations(page), []);
      const denied = (code: string) =>
        assert.rejects(
          oidc.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:device_code', { device_code: code }),
          (error: unknown) => (error as { error?: string }).error === 'access_denied',
        );
      await denied(device.device_code);

      // Deny on the consent page (disconnected above, so asked again): said so, and access_denied too.
      const another = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
      await page.goto(another.verification_uri_complete!);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Connect Living Room TV to your account?' }).waitFor();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Allow Living Room TV to use your account?' }).waitFor();
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.getByRole('alert').filter({ hasText: 'You denied the request' }).waitFor();
      await denied(another.device_code);
      assert.deepEqual(cspViolations, []);
    });
  });
});
