import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_REAUTHENTICATION_WINDOW } from '../../src/core/options.js';
import { buildMailApp, PUBLIC_URL, type MailApp } from '../support/apps.js';
import { setCookiesNamed } from '../support/cookies.js';
import { PASSWORD } from '../support/constants.js';
import { auth, userWithToken } from '../support/requests.js';
import { enableTOTP, totpAt } from '../support/totp.js';
import { passkeyRecordOf, softwareAuthenticator } from '../support/webauthn.js';

const WINDOW = DEFAULT_REAUTHENTICATION_WINDOW;
const RP_ID = new URL(PUBLIC_URL).hostname;

describe('recent authentication before a way in is added', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp();
  });
  after(async () => t.close());

  const post = (url: string, token: string, payload?: object, cookies?: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, headers: auth(token), ...(payload ? { payload } : {}), ...(cookies ? { cookies } : {}) });
  const userIdOf = async (token: string) => (await t.app.inject({ url: '/users/me', headers: auth(token) })).json().id as number;

  test('a fresh sign-in may start a passkey registration; the same session past the window is 403 REAUTHENTICATION_REQUIRED', async () => {
    const token = await userWithToken(t.app, 'window@example.com');
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 200);
    t.clock.advance(WINDOW - 1);
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 200);
    t.clock.advance(1);
    const options = await post('/users/me/passkeys/options', token);
    assert.deepEqual({ s: options.statusCode, c: options.json().code }, { s: 403, c: 'REAUTHENTICATION_REQUIRED' });
    const authenticator = softwareAuthenticator(RP_ID);
    const create = await post('/users/me/passkeys', token, { name: 'Late', response: authenticator.attest('AAAA', PUBLIC_URL) });
    assert.deepEqual({ s: create.statusCode, c: create.json().code }, { s: 403, c: 'REAUTHENTICATION_REQUIRED' });
    assert.deepEqual((await t.app.inject({ url: '/users/me/passkeys', headers: auth(token) })).json(), []);
  });

  test('POST /users/me/reauthenticate with the password restarts the window (204); a wrong one is 401 and changes nothing', async () => {
    const token = await userWithToken(t.app, 'password@example.com');
    t.clock.advance(WINDOW);
    const wrong = await post('/users/me/reauthenticate', token, { current_password: 'not the password at all' });
    assert.deepEqual({ s: wrong.statusCode, c: wrong.json().code }, { s: 401, c: 'INVALID_CURRENT_PASSWORD' });
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 403);
    const right = await post('/users/me/reauthenticate', token, { current_password: PASSWORD });
    assert.equal(right.statusCode, 204, right.body);
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 200);
    t.clock.advance(WINDOW);
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 403);
  });

  test('wrong passwords are throttled like a login: 429 after the per-user-and-address limit, even for the right one', async () => {
    const token = await userWithToken(t.app, 'throttled@example.com');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post('/users/me/reauthenticate', token, { current_password: `wrong password ${i}` })).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    const throttled = await post('/users/me/reauthenticate', token, { current_password: PASSWORD });
    assert.equal(throttled.statusCode, 429);
    assert.ok(throttled.headers['retry-after']);
  });

  test('a request that carries the right current_password counts as recent; a wrong one is 401', async () => {
    const token = await userWithToken(t.app, 'inline@example.com');
    t.clock.advance(WINDOW);
    const wrong = await post('/users/me/passkeys/options', token, { current_password: 'not the password at all' });
    assert.deepEqual({ s: wrong.statusCode, c: wrong.json().code }, { s: 401, c: 'INVALID_CURRENT_PASSWORD' });
    assert.equal((await post('/users/me/passkeys/options', token, { current_password: PASSWORD })).statusCode, 200);
  });

  test('a passkey registered in the window is saved and mailed to the user; the mail names it', async () => {
    const email = 'mailed-passkey@example.com';
    const token = await userWithToken(t.app, email);
    const options = await post('/users/me/passkeys/options', token);
    const authenticator = softwareAuthenticator(RP_ID);
    const created = await post('/users/me/passkeys', token, { name: 'Laptop', response: authenticator.attest(options.json().challenge, PUBLIC_URL) });
    assert.equal(created.statusCode, 201, created.body);
    const mails = await t.mailsTo(email);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.decoded, /A new way to sign in was added/);
    assert.match(mails[0]!.decoded, /a passkey named "Laptop"/i);
  });

  test('a one-time code re-authenticates a user with TOTP (a spent or wrong one is 401); enabling TOTP is mailed', async () => {
    const email = 'otp@example.com';
    const token = await userWithToken(t.app, email);
    const { secret, recoveryCodes } = await enableTOTP(t.app, token, () => t.clock.now);
    const mails = await t.mailsTo(email);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.decoded, /two-factor sign-in/i);
    t.clock.advance(WINDOW);
    const wrong = await post('/users/me/reauthenticate', token, { otp: '000000' === totpAt(secret, t.clock.now) ? '111111' : '000000' });
    assert.deepEqual({ s: wrong.statusCode, c: wrong.json().code }, { s: 401, c: 'REAUTHENTICATION_FAILED' });
    const code = totpAt(secret, t.clock.now);
    assert.equal((await post('/users/me/reauthenticate', token, { otp: code })).statusCode, 204);
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 200);
    assert.equal((await post('/users/me/reauthenticate', token, { otp: code })).statusCode, 401, 'a code is spent once');
    assert.equal((await post('/users/me/reauthenticate', token, { otp: recoveryCodes[0]! })).statusCode, 204);
  });

  test('a code without TOTP is 400 TOTP_NOT_ENABLED; no proof, two proofs or an unknown field is 422', async () => {
    const token = await userWithToken(t.app, 'no-totp@example.com');
    const otp = await post('/users/me/reauthenticate', token, { otp: '123456' });
    assert.deepEqual({ s: otp.statusCode, c: otp.json().code }, { s: 400, c: 'TOTP_NOT_ENABLED' });
    for (const payload of [{}, { current_password: PASSWORD, otp: '123456' }, { password: PASSWORD }]) {
      assert.equal((await post('/users/me/reauthenticate', token, payload)).statusCode, 422, JSON.stringify(payload));
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/users/me/reauthenticate', payload: { current_password: PASSWORD } })).statusCode, 401);
  });

  test("a passkey assertion against this browser's sign-in challenge re-authenticates; another user's passkey does not", async () => {
    const token = await userWithToken(t.app, 'passkey-proof@example.com');
    const other = await userWithToken(t.app, 'passkey-other@example.com');
    const mine = softwareAuthenticator(RP_ID);
    const theirs = softwareAuthenticator(RP_ID);
    const userId = await userIdOf(token);
    const otherId = await userIdOf(other);
    assert.ok(await t.store.passkeys.createPasskey(passkeyRecordOf(mine, userId)));
    assert.ok(await t.store.passkeys.createPasskey(passkeyRecordOf(theirs, otherId)));
    t.clock.advance(WINDOW);

    const challengeFor = async () => {
      const options = await t.app.inject({ method: 'POST', url: '/passkeys/login/options' });
      const [cookie] = setCookiesNamed(options, 'token_webauthn');
      assert.ok(cookie);
      return options.json().challenge as string;
    };
    let challenge = await challengeFor();
    const foreign = await post('/users/me/reauthenticate', token, { passkey: theirs.assert(challenge, PUBLIC_URL, otherId) }, { token_webauthn: challenge });
    assert.deepEqual({ s: foreign.statusCode, c: foreign.json().code }, { s: 401, c: 'REAUTHENTICATION_FAILED' });
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 403);

    challenge = await challengeFor();
    const noCookie = await post('/users/me/reauthenticate', token, { passkey: mine.assert(challenge, PUBLIC_URL, userId) });
    assert.equal(noCookie.statusCode, 401, 'the challenge is bound to the browser that asked for it');

    challenge = await challengeFor();
    const proof = mine.assert(challenge, PUBLIC_URL, userId);
    const right = await post('/users/me/reauthenticate', token, { passkey: proof }, { token_webauthn: challenge });
    assert.equal(right.statusCode, 204, right.body);
    assert.equal((await post('/users/me/passkeys/options', token)).statusCode, 200);
    const replay = await post('/users/me/reauthenticate', token, { passkey: proof }, { token_webauthn: challenge });
    assert.equal(replay.statusCode, 401, 'a challenge is spent once');
  });
});
