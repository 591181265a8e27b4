import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH } from '../../src/core/account-tokens.js';
import { digestToken } from '../../src/core/token.js';
import { buildMailApp, type MailApp, PUBLIC_URL } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { setCookiesNamed } from '../support/cookies.js';
import { tokenFromMail } from '../support/mail.js';
import { auth, bearerToken, changeEmail, observable, userWithToken } from '../support/requests.js';
import { internalsOf } from '../support/internals.js';

const NEW_PASSWORD = 'a brand new passphrase for alice';

describe('forgot-password and reset-password over real SMTP', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp();
  });
  after(async () => t.close());

  async function requestReset(email: string, headers: Record<string, string> = {}) {
    return t.app.inject({ method: 'POST', url: '/forgot-password', headers, payload: { email } });
  }

  async function resetToken(email: string): Promise<string> {
    const before = (await t.mailsTo(email)).length;
    const response = await requestReset(email);
    assert.equal(response.statusCode, 202);
    const mails = await t.mailsTo(email);
    assert.equal(mails.length, before + 1, 'one new mail');
    return tokenFromMail(mails.at(-1)!, RESET_PASSWORD_LINK_PATH).token;
  }

  function reset(token: string, password = NEW_PASSWORD) {
    return t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password } });
  }

  test('known and unknown emails get the same 202; only the known one gets a mail, at the stored address', async () => {
    await userWithToken(t.app, 'Alice@Example.com');
    const known = await requestReset('  ALICE@example.COM ');
    const unknown = await requestReset('nobody@example.com');
    for (const response of [known, unknown]) {
      assert.equal(response.statusCode, 202);
      assert.equal(response.body, 'null');
    }
    assert.deepEqual(observable(known), observable(unknown), 'status, headers and body are identical');
    assert.equal(known.headers['content-length'], unknown.headers['content-length']);
    assert.equal((await t.mailsTo('alice@example.com')).length, 1);
    assert.equal((await t.mailsTo('nobody@example.com')).length, 0);
    const mail = (await t.mailsTo('alice@example.com'))[0]!;
    assert.match(mail.raw, /^Subject: Reset your password/m);
    assert.match(mail.raw, /Content-Type: text\/plain/);
    assert.match(mail.raw, /Content-Type: text\/html/);
    assert.equal(mail.from, 'auth@example.test');
  });

  test('the link comes from PUBLIC_URL, whatever the Host header says', async () => {
    await requestReset('alice@example.com', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    const mail = (await t.mailsTo('alice@example.com')).at(-1)!;
    const { link } = tokenFromMail(mail, RESET_PASSWORD_LINK_PATH);
    assert.ok(link.startsWith(`${PUBLIC_URL}/#/reset-password?token=`), link);
    assert.doesNotMatch(mail.decoded, /evil\.example/);
  });

  test('the whole flow: mail → reset → every session revoked, old password refused, token single use', async () => {
    const session = await bearerToken(t.app, 'alice@example.com');
    const token = await resetToken('alice@example.com');
    const response = await reset(token);
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().email, 'alice@example.com');
    assert.deepEqual(setCookiesNamed(response, 'token'), [], 'no auto-login');
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(session) })).statusCode, 401);
    await assert.rejects(bearerToken(t.app, 'alice@example.com', PASSWORD));
    await bearerToken(t.app, 'alice@example.com', NEW_PASSWORD);

    const again = await reset(token, 'yet another passphrase for alice');
    assert.equal(again.statusCode, 400);
    assert.equal(again.json().code, 'RESET_PASSWORD_BAD_TOKEN');
  });

  test('a token dies once the password changes, and with it every other pending reset token', async () => {
    const first = await resetToken('alice@example.com');
    const second = await resetToken('alice@example.com');
    assert.equal((await reset(first, 'the third passphrase of alice')).statusCode, 200);
    const stale = await reset(second, 'the fourth passphrase of alice');
    assert.equal(stale.statusCode, 400);
    assert.equal(stale.json().code, 'RESET_PASSWORD_BAD_TOKEN');
  });

  test('a password changed through PATCH /users/me voids a reset token issued before', async () => {
    const token = await resetToken('alice@example.com');
    const session = await bearerToken(t.app, 'alice@example.com', 'the third passphrase of alice');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: auth(session),
      payload: { password: NEW_PASSWORD, current_password: 'the third passphrase of alice' },
    });
    assert.equal(patched.statusCode, 200);
    const response = await reset(token, 'the fifth passphrase of alice');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'RESET_PASSWORD_BAD_TOKEN');
  });

  test('the fingerprint alone voids a token when the hash changes underneath (e.g. by another instance)', async () => {
    const token = await resetToken('alice@example.com');
    const user = (await t.store.findUserByEmail('alice@example.com'))!;
    const hash = await internalsOf(t.app).auth.passwords.hashPassword('changed directly in the database');
    await t.store.updateUser(user.id, { hashedPassword: hash }, t.clock.now);
    assert.equal((await reset(token)).json().code, 'RESET_PASSWORD_BAD_TOKEN');
    await t.store.updateUser(user.id, { hashedPassword: await internalsOf(t.app).auth.passwords.hashPassword(NEW_PASSWORD) }, t.clock.now);
  });

  test('a reset link mailed before an email change is refused after it (the old mailbox no longer controls the account)', async () => {
    const session = await userWithToken(t.app, 'dave@example.com');
    const token = await resetToken('dave@example.com');
    assert.equal((await changeEmail(t.app, session, 'dave@new.example.com')).statusCode, 200);
    assert.equal(await t.store.findActionToken(digestToken(token), 'reset'), null, 'the change deleted the pending reset token');
    const response = await reset(token, 'the old mailbox wants this one');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'RESET_PASSWORD_BAD_TOKEN');
    await bearerToken(t.app, 'dave@new.example.com', PASSWORD);
  });

  test('the email binding alone voids a token when the email changes underneath (e.g. by another instance)', async () => {
    const token = await resetToken('dave@new.example.com');
    const dave = (await t.store.findUserByEmail('dave@new.example.com'))!;
    await t.store.updateUser(dave.id, { email: 'dave@newer.example.com' }, t.clock.now);
    assert.equal((await reset(token, 'the old mailbox wants this one')).json().code, 'RESET_PASSWORD_BAD_TOKEN');
    await bearerToken(t.app, 'dave@newer.example.com', PASSWORD);
  });

  test('a reset token expires after 1 hour (injected clock)', async () => {
    const early = await resetToken('alice@example.com');
    const late = await resetToken('alice@example.com');
    t.clock.advance(3599);
    assert.equal((await reset(early, 'alice changes it within the hour')).statusCode, 200);
    t.clock.advance(2);
    // `late` is void twice over (password changed, and expired); check expiry on a fresh one.
    const fresh = await resetToken('alice@example.com');
    t.clock.advance(3600);
    const expired = await reset(fresh, 'too late for this passphrase');
    assert.equal(expired.statusCode, 400);
    assert.equal(expired.json().code, 'RESET_PASSWORD_BAD_TOKEN');
    assert.equal((await reset(late, 'too late for this passphrase')).statusCode, 400);
  });

  test('a password that breaks the policy is 400 RESET_PASSWORD_INVALID_PASSWORD and keeps the token usable', async () => {
    const token = await resetToken('alice@example.com');
    const short = await reset(token, 'short');
    assert.equal(short.statusCode, 400);
    assert.equal(short.json().code, 'RESET_PASSWORD_INVALID_PASSWORD');
    assert.match(short.json().detail, /\d/);
    assert.equal((await reset(token, 'alice@example.com')).json().code, 'RESET_PASSWORD_INVALID_PASSWORD');
    assert.equal((await reset(token, NEW_PASSWORD)).statusCode, 200);
  });

  test('unknown, malformed and missing tokens', async () => {
    for (const token of ['x'.repeat(43), 'not a token', 'A'.repeat(256)]) {
      const response = await reset(token);
      assert.equal(response.statusCode, 400, token);
      assert.deepEqual(response.json(), { detail: 'The reset token is invalid or has expired', code: 'RESET_PASSWORD_BAD_TOKEN' });
    }
    const missing = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { password: NEW_PASSWORD } });
    assert.equal(missing.statusCode, 422);
    const wrongType = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token: { $ne: null }, password: NEW_PASSWORD } });
    assert.equal(wrongType.statusCode, 422);
    const badEmail = await t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email: 'not-an-email' } });
    assert.equal(badEmail.statusCode, 422);
  });

  test('two concurrent uses of one token: exactly one succeeds', async () => {
    const token = await resetToken('alice@example.com');
    const results = await Promise.all([reset(token, 'concurrent passphrase number one'), reset(token, 'concurrent passphrase number two')]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400]);
  });

  test('an inactive account gets no mail, and its pending token stops working', async () => {
    await userWithToken(t.app, 'bob@example.com');
    const token = await resetToken('bob@example.com');
    const bob = (await t.store.findUserByEmail('bob@example.com'))!;
    await t.store.updateUser(bob.id, { isActive: false }, t.clock.now);
    assert.equal((await reset(token)).json().code, 'RESET_PASSWORD_BAD_TOKEN');
    assert.equal((await requestReset('bob@example.com')).statusCode, 202);
    assert.equal((await t.mailsTo('bob@example.com')).length, 1, 'no second mail');
  });

  test('a failed delivery does not change the answer', async () => {
    const before = t.smtp.messages.length;
    t.smtp.rejectNext(1);
    const response = await requestReset('alice@example.com');
    assert.equal(response.statusCode, 202);
    assert.equal(response.body, 'null');
    await t.app.fastifyUsers.mailOutbox.drain();
    assert.equal(t.smtp.messages.length, before, 'the server refused it');
  });
});

describe('forgot-password: the default mail throttle (3 per account, 20 per address, per hour)', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp({ mailThrottle: undefined });
    await userWithToken(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  const forgot = (email: string, ip = '203.0.113.7') => t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email }, remoteAddress: ip });

  test('a fourth request for one account within the hour is 429 with Retry-After, and sends no mail', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await forgot('alice@example.com', `203.0.113.${10 + i}`)).statusCode, 202);
    const refused = await forgot('ALICE@example.com', '203.0.113.99');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'TOO_MANY_REQUESTS');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal((await t.mailsTo('alice@example.com')).length, 3);
  });

  test('an unknown account is throttled the same way (no enumeration through 429s)', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await forgot('ghost@example.com', `198.51.100.${i}`)).statusCode, 202);
    assert.equal((await forgot('ghost@example.com', '198.51.100.50')).statusCode, 429);
  });

  test('the window passes: an hour later the account may ask again', async () => {
    t.clock.advance(3600 + 1);
    assert.equal((await forgot('alice@example.com', '192.0.2.1')).statusCode, 202);
  });
});
