import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH, VERIFY_LINK_PATH } from '../../../src/core/account-tokens.js';
import { UNUSABLE_PASSWORD } from '../../../src/core/user.js';
import { buildMailApp, type MailApp } from '../../support/apps.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { tokenFromMail } from '../../support/mail.js';
import { browse, CookieJar } from './flow.js';
import { startStandInIssuer, type StandInIssuer } from './stand-in-issuer.js';

const NEW_PASSWORD = 'a brand new passphrase for the owner';

describe('a provider that releases unverified emails', () => {
  let issuer: StandInIssuer;
  let t: MailApp;
  before(async () => {
    issuer = await startStandInIssuer({ clientId: 'unverified-client' });
    t = await buildMailApp({ oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'unverified-client', clientSecret: 's' }] });
  });
  after(async () => {
    await t.close();
    await issuer.close();
  });

  /** A whole provider sign-in in a fresh browser, the provider asserting `email` as `verified` says. */
  async function providerSignIn(sub: string, email: string, verified: boolean) {
    const jar = new CookieJar();
    const start = await browse(t.app, jar, '/oauth/standin/authorize');
    const authorization = new URL(start.headers.location as string);
    issuer.fault = 'valid';
    issuer.nonce = authorization.searchParams.get('nonce')!;
    issuer.subject = { sub, email, email_verified: verified };
    return browse(t.app, jar, `/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`);
  }

  test('an unverified email with no account creates nothing: 400 OAUTH_EMAIL_NOT_VERIFIED, no user, no link, no session', async () => {
    const response = await providerSignIn('attacker-sub', 'victim@example.com', false);
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().code, 'OAUTH_EMAIL_NOT_VERIFIED');
    assert.deepEqual(setCookiesNamed(response, 'token'), []);
    assert.equal(await t.store.findUserByEmail('victim@example.com'), null);
    assert.equal(await t.store.oauthAccounts.findOAuthAccount('standin', 'attacker-sub'), null);
    // The same identity with a verified email does create its user, verified.
    assert.equal((await providerSignIn('honest-sub', 'honest@example.com', true)).statusCode, 302);
    const honest = await t.store.findUserByEmail('honest@example.com');
    assert.equal(honest?.isVerified, true);
    assert.equal((await t.store.oauthAccounts.findOAuthAccount('standin', 'honest-sub'))?.emailVerified, true);
  });

  /** An account opened in the past by a provider that did not vouch for the address (as the old rule 4 did). */
  async function plantedAccount(email: string, sub: string) {
    const now = t.clock.now;
    const user = (await t.store.createUser({ email, hashedPassword: UNUSABLE_PASSWORD, isVerified: false }, now))!;
    await t.store.oauthAccounts.linkOAuthAccount({ userId: user.id, oauthName: 'standin', accountId: sub, accountEmail: email, emailVerified: false }, now);
    await t.store.oauthAccounts.linkOAuthAccount(
      { userId: user.id, oauthName: 'standin', accountId: `${sub}-vouched`, accountEmail: email, emailVerified: true },
      now,
    );
    // The planted identity signs in while it lasts.
    assert.equal((await providerSignIn(sub, email, false)).statusCode, 302);
    return user;
  }

  test('a link made from an unverified email is dropped when the mailbox owner resets the password', async () => {
    const user = await plantedAccount('owner-reset@example.com', 'planted-reset');
    assert.equal((await t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email: 'owner-reset@example.com' } })).statusCode, 202);
    const [mail] = await t.mailsTo('owner-reset@example.com');
    const { token } = tokenFromMail(mail!, RESET_PASSWORD_LINK_PATH);
    const reset = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password: NEW_PASSWORD } });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.deepEqual(
      (await t.store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.accountId),
      ['planted-reset-vouched'],
    );
    // The planted identity no longer reaches the account: with its unverified email it now creates nothing either.
    const again = await providerSignIn('planted-reset', 'owner-reset@example.com', false);
    assert.equal(again.statusCode, 400);
    assert.equal(again.json().code, 'OAUTH_USER_ALREADY_EXISTS');
  });

  test('a link made from an unverified email is dropped when the mailbox owner verifies the address', async () => {
    const user = await plantedAccount('owner-verify@example.com', 'planted-verify');
    assert.equal((await t.app.inject({ method: 'POST', url: '/request-verify-token', payload: { email: 'owner-verify@example.com' } })).statusCode, 202);
    const [mail] = await t.mailsTo('owner-verify@example.com');
    const { token } = tokenFromMail(mail!, VERIFY_LINK_PATH);
    const verified = await t.app.inject({ method: 'POST', url: '/verify', payload: { token } });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.deepEqual(
      (await t.store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.accountId),
      ['planted-verify-vouched'],
    );
    assert.equal(await t.store.oauthAccounts.findOAuthAccount('standin', 'planted-verify'), null);
  });
});
