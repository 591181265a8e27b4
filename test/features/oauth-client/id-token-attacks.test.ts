import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildMailApp, type MailApp } from '../../support/apps.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { freePort } from '../../support/servers.js';
import { browse, CookieJar } from './flow.js';
import { startStandInIssuer, type IdTokenFault, type StandInIssuer } from './stand-in-issuer.js';

describe('ID tokens the relying party must refuse (a stand-in issuer built with jose)', () => {
  let issuer: StandInIssuer;
  let t: MailApp;
  before(async () => {
    issuer = await startStandInIssuer({ clientId: 'stand-in-client' });
    t = await buildMailApp({ oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'stand-in-client', clientSecret: 'stand-in-secret' }] });
  });
  after(async () => {
    await t.close();
    await issuer.close();
  });

  /** Starts a flow, has the stand-in answer with `fault`, and returns the callback's answer. */
  async function callbackWith(fault: IdTokenFault, sub = `subject-${fault}`) {
    const jar = new CookieJar();
    const start = await browse(t.app, jar, '/oauth/standin/authorize');
    assert.equal(start.statusCode, 302, start.body);
    const authorization = new URL(start.headers.location as string);
    issuer.fault = fault;
    issuer.nonce = authorization.searchParams.get('nonce')!;
    issuer.subject = { sub, email: `${sub}@example.com`, email_verified: true };
    const response = await browse(t.app, jar, `/oauth/standin/callback?code=stand-in-code&state=${authorization.searchParams.get('state')}`);
    return { response, jar };
  }

  test("control: the stand-in's honest ID token signs in (so every refusal below is for its one fault)", async () => {
    const { response, jar } = await callbackWith('valid');
    assert.equal(response.statusCode, 302, response.body);
    assert.equal((await browse(t.app, jar, '/users/me')).json().email, 'subject-valid@example.com');
  });

  for (const fault of ['wrong-aud', 'wrong-iss', 'wrong-nonce', 'wrong-key', 'expired', 'azp-another-client', 'issued-in-future'] as const) {
    test(`an ID token with ${fault} is OAUTH_CALLBACK_FAILED, with no session and no user`, async () => {
      const { response } = await callbackWith(fault);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().code, 'OAUTH_CALLBACK_FAILED');
      assert.deepEqual(setCookiesNamed(response, 'token'), []);
      assert.equal(await t.store.findUserByEmail(`subject-${fault}@example.com`), null);
    });
  }

  test('an identity whose email is not an address (or too long for one) is refused, and no user is made', async () => {
    for (const email of ['not-an-email', `${'a'.repeat(64)}@${'b'.repeat(300)}.example`, 'two@at@example.com', 'ctl\u0007@example.com']) {
      const jar = new CookieJar();
      const start = await browse(t.app, jar, '/oauth/standin/authorize');
      const authorization = new URL(start.headers.location as string);
      issuer.fault = 'valid';
      issuer.nonce = authorization.searchParams.get('nonce')!;
      issuer.subject = { sub: `odd-${email.length}`, email, email_verified: true };
      const response = await browse(t.app, jar, `/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`);
      assert.equal(response.statusCode, 400, email);
      assert.equal(response.json().code, 'OAUTH_CALLBACK_FAILED');
      assert.equal(await t.store.findUserByEmail(email), null);
    }
  });

  test('an email released only at the UserInfo endpoint is read from there', async () => {
    const { response, jar } = await callbackWith('email-in-userinfo-only');
    assert.equal(response.statusCode, 302, response.body);
    assert.equal((await browse(t.app, jar, '/users/me')).json().email, 'subject-email-in-userinfo-only@example.com');
  });
});

describe('an issuer unreachable at start', () => {
  test('is a warning, then 503 OAUTH_PROVIDER_UNAVAILABLE on its routes, and works once it is back', async () => {
    const port = await freePort();
    const t = await buildMailApp({
      oauthProviders: [{ name: 'later', issuer: `http://127.0.0.1:${port}`, clientId: 'stand-in-client', clientSecret: 's' }],
    });
    let issuer: StandInIssuer | undefined;
    try {
      const down = await t.app.inject({ method: 'GET', url: '/oauth/later/authorize' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().code, 'OAUTH_PROVIDER_UNAVAILABLE');
      assert.ok(Number(down.headers['retry-after']) >= 1);
      // Other routes are unaffected.
      assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);

      issuer = await startStandInIssuer({ clientId: 'stand-in-client', port });
      // Within the retry delay the answer stays 503 without asking the issuer; after it, discovery is retried.
      assert.equal((await t.app.inject({ method: 'GET', url: '/oauth/later/authorize' })).statusCode, 503);
      t.clock.advance(11);
      const up = await t.app.inject({ method: 'GET', url: '/oauth/later/authorize' });
      assert.equal(up.statusCode, 302, up.body);
      assert.ok((up.headers.location as string).startsWith(`${issuer.issuer}/authorize?`));
    } finally {
      await t.close();
      await issuer?.close();
    }
  });
});
