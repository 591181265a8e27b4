/**
 * Our OAuth provider in real Chromium: an application sends a visitor to the authorization
 * endpoint; the web page asks them to sign in and returns to the request; the consent page (no
 * script, checked with axe-core) names the client; Allow ends at the client's redirect URI with a
 * code and `iss` — the browser following the form's redirects under the page's CSP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
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
});
