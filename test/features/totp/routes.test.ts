import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp, testClock } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { auth, bearerToken, userWithToken } from '../../support/requests.js';
import { base32Decode, enableTOTP, totpAt } from '../../support/totp.js';

describe('TOTP set-up: POST/GET/DELETE /users/me/totp and /users/me/totp/confirm', () => {
  let t: TestApp;
  const clock = testClock();
  before(async () => {
    t = await buildTestApp({ now: () => clock.now, publicUrl: 'https://auth.example.test' });
  });
  after(async () => t.close());

  const begin = (token: string, password = PASSWORD) =>
    t.app.inject({ method: 'POST', url: '/users/me/totp', headers: auth(token), payload: { current_password: password } });
  const confirm = (token: string, code: string) => t.app.inject({ method: 'POST', url: '/users/me/totp/confirm', headers: auth(token), payload: { code } });
  const disable = (token: string, code: string, password = PASSWORD) =>
    t.app.inject({ method: 'DELETE', url: '/users/me/totp', headers: auth(token), payload: { current_password: password, code } });
  const status = async (token: string) => (await t.app.inject({ url: '/users/me/totp', headers: auth(token) })).json();

  test('enrolment gives a 20-byte base32 secret and its otpauth:// URI; the first code confirms and returns 10 recovery codes', async () => {
    const token = await userWithToken(t.app, 'setup@example.com');
    assert.deepEqual(await status(token), { enabled: false, recovery_codes_left: 0 });
    const response = await begin(token);
    assert.equal(response.statusCode, 200);
    const { secret, otpauth_url: uri } = response.json();
    assert.equal(base32Decode(secret).length, 20);
    const url = new URL(uri);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    assert.equal(decodeURIComponent(url.pathname), '/auth.example.test:setup@example.com');
    assert.deepEqual(Object.fromEntries(url.searchParams), { issuer: 'auth.example.test', algorithm: 'SHA1', secret, period: '30', digits: '6' });
    assert.deepEqual(await status(token), { enabled: false, recovery_codes_left: 0 }, 'pending is not enabled');

    const confirmed = await confirm(token, totpAt(secret, clock.now));
    assert.equal(confirmed.statusCode, 200);
    const codes: string[] = confirmed.json().recovery_codes;
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
    assert.deepEqual(await status(token), { enabled: true, recovery_codes_left: 10 });
    // Enabled: a second enrolment is refused and the confirmed secret is kept.
    assert.equal((await begin(token)).json().code, 'TOTP_ALREADY_ENABLED');
  });

  test('a wrong current password is 401 INVALID_CURRENT_PASSWORD; a wrong first code is 400 TOTP_BAD_CODE; confirm without set-up is TOTP_NOT_PENDING', async () => {
    const token = await userWithToken(t.app, 'wrong@example.com');
    const noSetup = await confirm(token, '123456');
    assert.deepEqual({ s: noSetup.statusCode, c: noSetup.json().code }, { s: 400, c: 'TOTP_NOT_PENDING' });
    const refused = await begin(token, 'not the password at all');
    assert.deepEqual({ s: refused.statusCode, c: refused.json().code }, { s: 401, c: 'INVALID_CURRENT_PASSWORD' });
    const { secret } = (await begin(token)).json();
    const good = totpAt(secret, clock.now);
    const wrong = good === '000000' ? '000001' : '000000';
    for (const code of [wrong, totpAt(secret, clock.now, 2), 'abcdef', 'x'.repeat(64)]) {
      const response = await confirm(token, code);
      assert.deepEqual({ s: response.statusCode, c: response.json().code }, { s: 400, c: 'TOTP_BAD_CODE' }, code);
    }
    assert.deepEqual(await status(token), { enabled: false, recovery_codes_left: 0 });
  });

  test('a code of the previous or next step is accepted (±1 step of clock drift)', async () => {
    for (const offset of [-1, 1]) {
      const token = await userWithToken(t.app, `drift${offset}@example.com`);
      const { secret } = (await begin(token)).json();
      assert.equal((await confirm(token, totpAt(secret, clock.now, offset))).statusCode, 200, `offset ${offset}`);
    }
  });

  test('enabling TOTP signs out every other session of the user, not the current one', async () => {
    const token = await userWithToken(t.app, 'revoke@example.com');
    const other = await bearerToken(t.app, 'revoke@example.com');
    await enableTOTP(t.app, token, () => clock.now);
    assert.equal((await t.app.inject({ url: '/users/me', headers: auth(other) })).statusCode, 401);
    assert.equal((await t.app.inject({ url: '/users/me', headers: auth(token) })).statusCode, 200);
  });

  test('disabling needs the password and a code; a recovery code works; the recovery codes go with it', async () => {
    const token = await userWithToken(t.app, 'disable@example.com');
    clock.advance(60);
    const { secret, recoveryCodes } = await enableTOTP(t.app, token, () => clock.now);
    const wrongPassword = await disable(token, totpAt(secret, clock.now, 1), 'not the password at all');
    assert.deepEqual({ s: wrongPassword.statusCode, c: wrongPassword.json().code }, { s: 401, c: 'INVALID_CURRENT_PASSWORD' });
    const wrongCode = await disable(token, 'aaaa-bbbb-cccc-dddd');
    assert.deepEqual({ s: wrongCode.statusCode, c: wrongCode.json().code }, { s: 400, c: 'TOTP_BAD_CODE' });
    const done = await disable(token, recoveryCodes[3]!.toUpperCase());
    assert.equal(done.statusCode, 204);
    assert.deepEqual(await status(token), { enabled: false, recovery_codes_left: 0 });
    const again = await disable(token, totpAt(secret, clock.now, 1));
    assert.deepEqual({ s: again.statusCode, c: again.json().code }, { s: 400, c: 'TOTP_NOT_ENABLED' });
    // Off: a password alone signs in again.
    assert.ok(await bearerToken(t.app, 'disable@example.com'));
  });

  test('a code spent to disable TOTP cannot be replayed in the same step (also by another route)', async () => {
    const token = await userWithToken(t.app, 'replay-disable@example.com');
    clock.advance(90);
    const { secret } = await enableTOTP(t.app, token, () => clock.now);
    clock.advance(30);
    const code = totpAt(secret, clock.now);
    // Spent at sign-in first…
    const login = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'replay-disable@example.com', password: PASSWORD, otp: code }).toString(),
    });
    assert.equal(login.statusCode, 200);
    // …so the same code cannot turn the factor off.
    assert.equal((await disable(token, code)).json().code, 'TOTP_BAD_CODE');
  });

  test('an account without a usable password (made by an identity provider) must set one before enrolling', async () => {
    const user = await t.store.createUser({ email: 'nopassword@example.com', hashedPassword: '!' }, clock.now);
    assert.ok(user);
    const issued = await t.app.fastifyUsers.auth.issueToken(user);
    const response = await begin(issued.token, 'anything at all really');
    assert.deepEqual({ s: response.statusCode, c: response.json().code }, { s: 400, c: 'TOTP_PASSWORD_REQUIRED' });
  });

  test('wrong codes at confirm and disable are throttled per account (429)', async () => {
    const token = await userWithToken(t.app, 'throttle-setup@example.com');
    const { secret } = (await begin(token)).json();
    const wrong = totpAt(secret, clock.now) === '000000' ? '000001' : '000000';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await confirm(token, wrong)).statusCode);
    assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429]);
    const blocked = await confirm(token, totpAt(secret, clock.now));
    assert.equal(blocked.statusCode, 429, 'even the right code during the throttle');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
  });

  test('the database file holds neither the secret nor any recovery code in clear', async () => {
    const token = await userWithToken(t.app, 'at-rest@example.com');
    clock.advance(30);
    const { secret, recoveryCodes } = await enableTOTP(t.app, token, () => clock.now);
    const file = (t.store as unknown as { sqlitePath: string }).sqlitePath;
    const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`, { flag: 'a+' })]);
    const raw = base32Decode(secret);
    for (const needle of [secret, secret.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
      assert.equal(bytes.includes(Buffer.from(needle)), false, `secret found as ${needle}`);
    }
    assert.equal(bytes.includes(raw), false, 'raw secret bytes found');
    for (const code of recoveryCodes) {
      assert.equal(bytes.includes(Buffer.from(code)), false, `recovery code ${code} found`);
      assert.equal(bytes.includes(Buffer.from(code.replace(/-/g, ''))), false, `recovery code ${code} found without dashes`);
    }
    // The row exists and holds a sealed value, so the search above looked at the right place.
    const record = await t.store.secondFactor.findTOTP((await t.store.findUserByEmail('at-rest@example.com'))!.id);
    assert.match(record!.encryptedSecret, /^v1\./);
    assert.ok(bytes.includes(Buffer.from(record!.encryptedSecret)), 'the sealed secret is in the file');
  });
});
