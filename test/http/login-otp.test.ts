import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp, testClock } from '../support/apps.js';
import { PASSWORD, TEST_SECRET } from '../support/constants.js';
import { setCookiesNamed } from '../support/cookies.js';
import { digestToken } from '../../src/core/token.js';
import { form, userWithToken } from '../support/requests.js';
import { enableTOTP, totpAt } from '../support/totp.js';

const WRONG_PASSWORD = 'definitely not the password';

/** The cookies a response set, as a `cookies` object for the next request. */
function cookiesOf(response: { headers: Record<string, unknown> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of [response.headers['set-cookie'] ?? []].flat() as string[]) {
    const [pair] = line.split(';');
    const [name, value] = pair!.split('=') as [string, string];
    if (value !== '') out[name] = value;
  }
  return out;
}

describe('signing in with a second factor: otp at /token and /login, POST /login/otp', () => {
  let t: TestApp;
  const clock = testClock();
  before(async () => {
    t = await buildTestApp({ now: () => clock.now });
  });
  after(async () => t.close());

  const token = (fields: Record<string, string>) => t.app.inject({ method: 'POST', url: '/token', ...form(fields) });
  const login = (fields: Record<string, string>) => t.app.inject({ method: 'POST', url: '/login', ...form(fields) });
  const loginOTP = (otp: string, cookies: Record<string, string>) => t.app.inject({ method: 'POST', url: '/login/otp', cookies, payload: { otp } });

  /** A user with TOTP on; the clock moved to a fresh step so their confirmation code is spent. */
  async function totpUser(email: string) {
    const bearer = await userWithToken(t.app, email);
    const { secret, recoveryCodes } = await enableTOTP(t.app, bearer, () => clock.now);
    clock.advance(30);
    return { secret, recoveryCodes };
  }

  test('a right password without otp is 401 LOGIN_OTP_REQUIRED with "error": "mfa_required"; with the code it signs in', async () => {
    const { secret } = await totpUser('alice@example.com');
    const required = await token({ username: 'alice@example.com', password: PASSWORD });
    assert.equal(required.statusCode, 401);
    assert.deepEqual(required.json(), { detail: 'A one-time code is required to sign in', code: 'LOGIN_OTP_REQUIRED', error: 'mfa_required' });
    assert.equal(required.headers['www-authenticate'], 'Bearer');
    const ok = await token({ username: 'alice@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) });
    assert.equal(ok.statusCode, 200);
    assert.equal(typeof ok.json().access_token, 'string');
  });

  test('a code is accepted once per step: the replay, on /token or /login, is 401 LOGIN_BAD_OTP', async () => {
    const { secret } = await totpUser('replay@example.com');
    const code = totpAt(secret, clock.now);
    assert.equal((await token({ username: 'replay@example.com', password: PASSWORD, otp: code })).statusCode, 200);
    const again = await token({ username: 'replay@example.com', password: PASSWORD, otp: code });
    assert.deepEqual({ s: again.statusCode, c: again.json().code }, { s: 401, c: 'LOGIN_BAD_OTP' });
    // For OAuth2 clients a wrong code is a bad grant, as a wrong password is (RFC 6749 §5.2).
    assert.equal(again.json().error, 'invalid_grant');
    const viaLogin = await login({ email: 'replay@example.com', password: PASSWORD, otp: code });
    assert.deepEqual({ s: viaLogin.statusCode, c: viaLogin.json().code }, { s: 401, c: 'LOGIN_BAD_OTP' });
    assert.deepEqual(setCookiesNamed(viaLogin, 'token'), [], 'no auth cookie');
    // Two concurrent uses of one fresh code: exactly one passes.
    clock.advance(30);
    const fresh = totpAt(secret, clock.now);
    const results = await Promise.all([1, 2, 3].map(() => token({ username: 'replay@example.com', password: PASSWORD, otp: fresh })));
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 401, 401]);
  });

  test('a recovery code signs in once; used twice it is 401 LOGIN_BAD_OTP', async () => {
    const { recoveryCodes } = await totpUser('recovery@example.com');
    const [code] = recoveryCodes as [string];
    assert.equal((await token({ username: 'recovery@example.com', password: PASSWORD, otp: code })).statusCode, 200);
    const twice = await token({ username: 'recovery@example.com', password: PASSWORD, otp: code });
    assert.deepEqual({ s: twice.statusCode, c: twice.json().code }, { s: 401, c: 'LOGIN_BAD_OTP' });
    assert.equal((await token({ username: 'recovery@example.com', password: PASSWORD, otp: recoveryCodes[1]! })).statusCode, 200);
  });

  test('a wrong password answers LOGIN_BAD_CREDENTIALS whatever the otp, and reads nothing about TOTP', async () => {
    await totpUser('timing@example.com');
    await userWithToken(t.app, 'plain@example.com');
    const store = t.store.secondFactor;
    const original = store.findTOTP.bind(store);
    let lookups = 0;
    store.findTOTP = async (userId) => {
      lookups += 1;
      return original(userId);
    };
    try {
      const bodies = [];
      for (const [username, otp] of [
        ['timing@example.com', '123456'],
        ['timing@example.com', ''],
        ['plain@example.com', '123456'],
      ] as const) {
        const fields: Record<string, string> = { username, password: WRONG_PASSWORD };
        if (otp) fields.otp = otp;
        const response = await token(fields);
        assert.equal(response.statusCode, 401);
        bodies.push(response.body);
      }
      assert.equal(new Set(bodies).size, 1, 'one identical body');
      assert.equal(lookups, 0, 'the second factor is looked at only after a right password');
    } finally {
      store.findTOTP = original;
    }
  });

  test('wrong codes count as failed logins (429); a right password without otp is not counted and clears nothing', async () => {
    const { secret } = await totpUser('throttled@example.com');
    const wrong = (step: number) => (totpAt(secret, clock.now, step) === '000000' ? '000001' : '000000');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await token({ username: 'throttled@example.com', password: PASSWORD, otp: wrong(0) })).statusCode);
    // Right password, no otp: neither a failure nor a reset of the wrong codes already counted.
    for (let i = 0; i < 4; i++) statuses.push((await token({ username: 'throttled@example.com', password: PASSWORD })).statusCode);
    for (let i = 0; i < 3; i++) statuses.push((await token({ username: 'throttled@example.com', password: PASSWORD, otp: wrong(0) })).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
    const blocked = await token({ username: 'throttled@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) });
    assert.equal(blocked.statusCode, 429, 'even the right code while throttled');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
  });

  test('/login without otp sets a 5-minute HttpOnly pending-sign-in cookie; POST /login/otp with a code finishes with the auth cookie', async () => {
    const { secret } = await totpUser('browser@example.com');
    const first = await login({ email: 'browser@example.com', password: PASSWORD });
    assert.equal(first.statusCode, 401);
    assert.equal(first.json().code, 'LOGIN_OTP_REQUIRED');
    assert.deepEqual(setCookiesNamed(first, 'token'), []);
    const [pending] = setCookiesNamed(first, 'token_pending');
    assert.match(pending!, /^token_pending=\d+\.\d+\.pwd\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; Max-Age=300; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    const cookies = cookiesOf(first);
    const wrong = await loginOTP(totpAt(secret, clock.now) === '000000' ? '000001' : '000000', cookies);
    assert.deepEqual({ s: wrong.statusCode, c: wrong.json().code }, { s: 401, c: 'LOGIN_BAD_OTP' });
    const done = await loginOTP(totpAt(secret, clock.now), cookies);
    assert.equal(done.statusCode, 204);
    const [auth] = setCookiesNamed(done, 'token');
    assert.match(auth!, /^token=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.match(setCookiesNamed(done, 'token_pending')[0]!, /^token_pending=; Max-Age=0/);
    assert.equal(setCookiesNamed(done, 'csrftoken').length, 1, 'the CSRF cookie rotates with the new session');
    const me = await t.app.inject({ url: '/users/me', cookies: { token: cookiesOf(done).token! } });
    assert.equal(me.json().email, 'browser@example.com');
  });

  test("POST /login/otp without, with a forged, another key's or an expired pending cookie is 401 LOGIN_OTP_NOT_PENDING", async () => {
    const { secret } = await totpUser('pending@example.com');
    const first = await login({ email: 'pending@example.com', password: PASSWORD });
    const value = cookiesOf(first).token_pending!;
    const [id, expires, factor, nonce, mac] = value.split('.') as [string, string, string, string, string];
    const other = (await t.store.findUserByEmail('alice@example.com'))!.id;
    const forged = [
      `${other}.${expires}.${factor}.${nonce}.${mac}`,
      `${id}.${Number(expires) + 600}.${factor}.${nonce}.${mac}`,
      `${id}.${expires}.fed.${nonce}.${mac}`,
      `${id}.${expires}.${factor}.${'A'.repeat(22)}.${mac}`,
    ];
    for (const cookies of <Record<string, string>[]>[{}, ...forged.map((v) => ({ token_pending: v })), { token_pending: 'garbage' }]) {
      const response = await loginOTP(totpAt(secret, clock.now), cookies);
      assert.deepEqual({ s: response.statusCode, c: response.json().code }, { s: 401, c: 'LOGIN_OTP_NOT_PENDING' }, JSON.stringify(cookies));
    }
    clock.advance(301);
    const expired = await loginOTP(totpAt(secret, clock.now), { token_pending: value });
    assert.equal(expired.json().code, 'LOGIN_OTP_NOT_PENDING');
  });

  test('a pending sign-in finishes once: the same cookie with the next valid code is 401 LOGIN_OTP_NOT_PENDING', async () => {
    const { secret } = await totpUser('single-use@example.com');
    const cookies = cookiesOf(await login({ email: 'single-use@example.com', password: PASSWORD }));
    assert.equal((await loginOTP(totpAt(secret, clock.now), cookies)).statusCode, 204);
    clock.advance(30);
    const again = await loginOTP(totpAt(secret, clock.now), cookies);
    assert.deepEqual({ s: again.statusCode, c: again.json().code }, { s: 401, c: 'LOGIN_OTP_NOT_PENDING' });
    const userId = (await t.store.findUserByEmail('single-use@example.com'))!.id;
    assert.equal((await t.store.listUserTokens(userId, clock.now)).length, 2, 'the enrolment session and the one sign-in, no third');
  });

  test('a pending sign-in dies with a password change: a valid code after it is 401 LOGIN_OTP_NOT_PENDING', async () => {
    const { secret } = await totpUser('changed@example.com');
    const cookies = cookiesOf(await login({ email: 'changed@example.com', password: PASSWORD }));
    const user = (await t.store.findUserByEmail('changed@example.com'))!;
    // A new password (any new hash: one made by the service for another account stands in for it).
    await userWithToken(t.app, 'changed-new-hash@example.com', 'a brand new password of the owner');
    const rehashed = (await t.store.findUserByEmail('changed-new-hash@example.com'))!.hashedPassword;
    await t.store.updateUser(user.id, { hashedPassword: rehashed }, clock.now);
    const response = await loginOTP(totpAt(secret, clock.now), cookies);
    assert.deepEqual({ s: response.statusCode, c: response.json().code }, { s: 401, c: 'LOGIN_OTP_NOT_PENDING' });
  });

  test('the session records how it signed in (RFC 8176 amr): pwd alone, pwd and otp', async () => {
    const { secret } = await totpUser('amr@example.com');
    const amrOf = async (token: string) => (await t.store.findSession(digestToken(token), clock.now))!.token.amr;
    const plain = await userWithToken(t.app, 'amr-plain@example.com');
    assert.deepEqual(await amrOf(plain), ['pwd']);
    const bearer = await token({ username: 'amr@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) });
    assert.deepEqual(await amrOf(bearer.json().access_token), ['pwd', 'otp']);
    clock.advance(30);
    const cookies = cookiesOf(await login({ email: 'amr@example.com', password: PASSWORD }));
    const done = await loginOTP(totpAt(secret, clock.now), cookies);
    assert.deepEqual(await amrOf(cookiesOf(done).token!), ['pwd', 'otp']);
  });

  test('wrong codes at POST /login/otp share the login throttle of the account (429)', async () => {
    const { secret } = await totpUser('otp-throttle@example.com');
    const cookies = cookiesOf(await login({ email: 'otp-throttle@example.com', password: PASSWORD }));
    const wrong = totpAt(secret, clock.now) === '000000' ? '000001' : '000000';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await loginOTP(wrong, cookies)).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
    // And the password route of that account is throttled too.
    assert.equal((await token({ username: 'otp-throttle@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) })).statusCode, 429);
  });
});

describe('TOTP secrets after a key rotation (SECRET_KEY_FALLBACKS)', () => {
  test('a secret sealed under the old key still verifies with it as a fallback, and is sealed again with the new key', async () => {
    const clock = testClock();
    const before = await buildTestApp({ now: () => clock.now });
    const bearer = await userWithToken(before.app, 'rotate@example.com');
    const { secret } = await enableTOTP(before.app, bearer, () => clock.now);
    const userId = (await before.store.findUserByEmail('rotate@example.com'))!.id;
    const sealedOld = (await before.store.secondFactor.findTOTP(userId))!.encryptedSecret;
    await before.app.close();

    const Fastify = (await import('fastify')).default;
    const { fastifyUsers } = await import('../../src/http/plugin.js');
    const newKey = 'a-brand-new-secret-key-of-enough-length-98765';
    const withoutFallback = Fastify();
    await withoutFallback.register(fastifyUsers, {
      store: before.store,
      secretKey: newKey,
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      unsafeArgon2ForTests: true,
      now: () => clock.now,
    });
    clock.advance(30);
    const lost = await withoutFallback.inject({
      method: 'POST',
      url: '/token',
      ...form({ username: 'rotate@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) }),
    });
    assert.equal(lost.json().code, 'LOGIN_BAD_OTP', 'without the old key the secret cannot be opened');
    await withoutFallback.close();

    const rotated = Fastify();
    await rotated.register(fastifyUsers, {
      store: before.store,
      secretKey: newKey,
      secretKeyFallbacks: [TEST_SECRET],
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      unsafeArgon2ForTests: true,
      now: () => clock.now,
    });
    clock.advance(30);
    const ok = await rotated.inject({
      method: 'POST',
      url: '/token',
      ...form({ username: 'rotate@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) }),
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const sealedNew = (await before.store.secondFactor.findTOTP(userId))!.encryptedSecret;
    assert.notEqual(sealedNew, sealedOld, 're-encrypted with the current key');
    await rotated.close();

    // Now the new key alone opens it.
    const newOnly = Fastify();
    await newOnly.register(fastifyUsers, {
      store: before.store,
      secretKey: newKey,
      argon2: { memoryCost: 256, timeCost: 1, parallelism: 1 },
      unsafeArgon2ForTests: true,
      now: () => clock.now,
    });
    clock.advance(30);
    const after = await newOnly.inject({
      method: 'POST',
      url: '/token',
      ...form({ username: 'rotate@example.com', password: PASSWORD, otp: totpAt(secret, clock.now) }),
    });
    assert.equal(after.statusCode, 200);
    await newOnly.close();
    await before.close();
  });
});
