import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { VERIFY_LINK_PATH } from '../../src/core/account-tokens.js';
import { buildMailApp, type MailApp, PUBLIC_URL } from '../support/apps.js';
import { tokenFromMail } from '../support/mail.js';
import { auth, changeEmail, observable, userWithToken } from '../support/requests.js';

describe('request-verify-token and verify over real SMTP', () => {
  let t: MailApp;
  let aliceToken: string;
  before(async () => {
    t = await buildMailApp();
    aliceToken = await userWithToken(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  function requestToken(email: string, headers: Record<string, string> = {}) {
    return t.app.inject({ method: 'POST', url: '/request-verify-token', headers, payload: { email } });
  }

  async function verifyToken(email: string): Promise<string> {
    const before = (await t.mailsTo(email)).length;
    assert.equal((await requestToken(email)).statusCode, 202);
    const mails = await t.mailsTo(email);
    assert.equal(mails.length, before + 1, 'one new mail');
    return tokenFromMail(mails.at(-1)!, VERIFY_LINK_PATH).token;
  }

  function verify(token: string) {
    return t.app.inject({ method: 'POST', url: '/verify', payload: { token } });
  }

  test('202 and the same body for known and unknown emails; a mail only for the known one', async () => {
    const known = await requestToken('alice@example.com');
    const unknown = await requestToken('nobody@example.com');
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.deepEqual(observable(known), observable(unknown));
    assert.equal((await t.mailsTo('alice@example.com')).length, 1);
    assert.equal((await t.mailsTo('nobody@example.com')).length, 0);
  });

  test('the flow: link from PUBLIC_URL despite a spoofed Host → 200 verified → reuse refused', async () => {
    await requestToken('alice@example.com', { host: 'evil.example' });
    const mail = (await t.mailsTo('alice@example.com')).at(-1)!;
    const { link, token } = tokenFromMail(mail, VERIFY_LINK_PATH);
    assert.ok(link.startsWith(`${PUBLIC_URL}/#/verify?token=`), link);
    assert.doesNotMatch(mail.decoded, /evil\.example/);
    assert.match(mail.raw, /^Subject: Confirm your email address/m);

    const response = await verify(token);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { id: response.json().id, email: 'alice@example.com', is_active: true, is_superuser: false, is_verified: true });
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(aliceToken) });
    assert.equal(me.json().is_verified, true);

    const reused = await verify(token);
    assert.equal(reused.statusCode, 400);
    assert.equal(reused.json().code, 'VERIFY_USER_BAD_TOKEN');
  });

  test('a verified user gets no new mail; a still-valid token for them is 400 VERIFY_USER_ALREADY_VERIFIED', async () => {
    const before = (await t.mailsTo('alice@example.com')).length;
    assert.equal((await requestToken('alice@example.com')).statusCode, 202);
    assert.equal((await t.mailsTo('alice@example.com')).length, before);
    const alice = (await t.store.findUserByEmail('alice@example.com'))!;
    const mail = await t.app.fastifyUsers.accountTokens.verificationMail(alice);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
    const response = await verify(token);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { detail: 'The user is already verified', code: 'VERIFY_USER_ALREADY_VERIFIED' });
  });

  test('a token is bound to the email it was sent to', async () => {
    await userWithToken(t.app, 'bob@example.com');
    const token = await verifyToken('bob@example.com');
    const bob = (await t.store.findUserByEmail('bob@example.com'))!;
    // Changed underneath (the PATCH route also deletes pending tokens; this checks the binding itself).
    await t.store.updateUser(bob.id, { email: 'bob2@example.com' }, t.clock.now);
    const response = await verify(token);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'VERIFY_USER_BAD_TOKEN');
    assert.equal((await t.store.findUserById(bob.id))!.isVerified, false);
  });

  test('PATCH /users/me with a new email voids a pending token and the new address can be verified', async () => {
    const carolToken = await userWithToken(t.app, 'carol@example.com');
    const old = await verifyToken('carol@example.com');
    assert.equal((await changeEmail(t.app, carolToken, 'carol.new@example.com')).statusCode, 200);
    assert.equal((await verify(old)).json().code, 'VERIFY_USER_BAD_TOKEN');
    const fresh = await verifyToken('carol.new@example.com');
    assert.equal((await verify(fresh)).json().is_verified, true);
  });

  test('a verification token expires after 24 hours (injected clock)', async () => {
    await userWithToken(t.app, 'dave@example.com');
    const token = await verifyToken('dave@example.com');
    t.clock.advance(86_400);
    const response = await verify(token);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'VERIFY_USER_BAD_TOKEN');
    const fresh = await verifyToken('dave@example.com');
    t.clock.advance(86_399);
    assert.equal((await verify(fresh)).statusCode, 200);
  });

  test('unknown, malformed and missing tokens', async () => {
    for (const token of ['y'.repeat(43), 'short', '']) {
      const response = await verify(token);
      if (token === '') {
        assert.equal(response.statusCode, 422);
        continue;
      }
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().code, 'VERIFY_USER_BAD_TOKEN');
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/verify', payload: {} })).statusCode, 422);
    assert.equal((await requestToken('not an email')).statusCode, 422);
  });

  test('a reset token is not a verification token', async () => {
    await userWithToken(t.app, 'erin@example.com');
    await t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email: 'erin@example.com' } });
    const mail = (await t.mailsTo('erin@example.com')).at(-1)!;
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.decoded)![1]!;
    assert.equal((await verify(token)).json().code, 'VERIFY_USER_BAD_TOKEN');
  });
});
