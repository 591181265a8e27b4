import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildMailApp, type MailApp } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { cookieValue, setCookieHeader } from '../../support/cookies.js';
import { auth, form, register, userWithToken } from '../../support/requests.js';
import { enableTOTP, totpAt } from '../../support/totp.js';
import { askByEmail, BINDING_COOKIE, cookiesOf, otherCode, readSignInMail, verify } from './flow.js';

describe('sign-in by email: POST /login/email and /login/email/verify', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp();
  });
  after(async () => t.close());

  /** Asks as a browser for `email` and returns the browser's cookies and what the last mail to it says. */
  async function askAndRead(email: string, cookies: Record<string, string> = {}) {
    const asked = await askByEmail(t.app, email, cookies);
    assert.equal(asked.response.statusCode, 202, asked.response.body);
    const mails = await t.mailsTo(email);
    assert.ok(mails.length > 0, `a mail reached ${email}`);
    return { cookies: asked.cookies, ...readSignInMail(mails.at(-1)!) };
  }

  async function me(cookies: Record<string, string>) {
    return t.app.inject({ method: 'GET', url: '/users/me', cookies });
  }

  test('the link, in the browser that asked, signs in: 204, the auth cookie, a verified account, amr "email"; the binding cookie goes', async () => {
    await register(t.app, 'link@example.com');
    const { cookies, token, code } = await askAndRead('link@example.com');
    assert.match(code, /^\d{6}$/);
    assert.ok(token, 'a browser is mailed a link');
    assert.match(setCookieHeader((await askByEmail(t.app, 'link@example.com')).response, BINDING_COOKIE) ?? '', /HttpOnly; .*SameSite=Lax/);
    const done = await verify(t.app, { token: token! }, cookies);
    assert.equal(done.statusCode, 204, done.body);
    assert.match(setCookieHeader(done, 'token') ?? '', /HttpOnly/);
    assert.equal(cookieValue(done, BINDING_COOKIE), '', 'the binding cookie is cleared');
    const profile = await me(cookiesOf(done, cookies));
    assert.equal(profile.statusCode, 200);
    assert.equal(profile.json().is_verified, true);
    const user = (await t.store.findUserByEmail('link@example.com'))!;
    const sessions = await t.store.listUserTokens(user.id, t.clock.now);
    assert.deepEqual(
      sessions.map((s) => s.amr),
      [['email']],
    );
  });

  test('the code, in the browser that asked, signs in; the email may be typed in another case', async () => {
    await register(t.app, 'code@example.com');
    const { cookies, code } = await askAndRead('code@example.com');
    const done = await verify(t.app, { email: 'Code@Example.com', code }, cookies);
    assert.equal(done.statusCode, 204, done.body);
    assert.equal((await me(cookiesOf(done, cookies))).statusCode, 200);
  });

  test('single use: once the link or the code has signed in, neither works again', async () => {
    await register(t.app, 'once@example.com');
    const { cookies, token, code } = await askAndRead('once@example.com');
    assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 204);
    const again = await verify(t.app, { token: token! }, cookies);
    assert.deepEqual([again.statusCode, again.json().code], [400, 'EMAIL_SIGN_IN_BAD_LINK']);
    const byCode = await verify(t.app, { email: 'once@example.com', code }, cookies);
    assert.deepEqual([byCode.statusCode, byCode.json().code], [401, 'EMAIL_SIGN_IN_BAD_CODE']);
    const second = await askAndRead('once@example.com');
    assert.equal((await verify(t.app, { email: 'once@example.com', code: second.code }, second.cookies)).statusCode, 204);
    const replay = await verify(t.app, { token: second.token! }, second.cookies);
    assert.equal(replay.statusCode, 400, 'the code spent the link of the same mail');
  });

  test('expiry: after 10 minutes the link and the code are refused', async () => {
    await register(t.app, 'late@example.com');
    const { cookies, token, code } = await askAndRead('late@example.com');
    t.clock.advance(10 * 60);
    assert.equal((await verify(t.app, { token: token! }, cookies)).json().code, 'EMAIL_SIGN_IN_BAD_LINK');
    assert.equal((await verify(t.app, { email: 'late@example.com', code }, cookies)).json().code, 'EMAIL_SIGN_IN_BAD_CODE');
    const fresh = await askAndRead('late@example.com');
    t.clock.advance(9 * 60 + 59);
    assert.equal((await verify(t.app, { token: fresh.token! }, fresh.cookies)).statusCode, 204, 'still valid a second before');
  });

  test('another browser: the link is 403 EMAIL_SIGN_IN_OTHER_BROWSER there and still signs in the browser that asked; the code does nothing there', async () => {
    await register(t.app, 'elsewhere@example.com');
    const { cookies, token, code } = await askAndRead('elsewhere@example.com');
    const bare = await verify(t.app, { token: token! });
    assert.deepEqual([bare.statusCode, bare.json().code], [403, 'EMAIL_SIGN_IN_OTHER_BROWSER']);
    assert.equal(setCookieHeader(bare, 'token'), undefined, 'no auth cookie');
    // A browser with a binding of its own (it asked for its own mail) is another browser too.
    const other = (await askByEmail(t.app, 'someone-else@example.com')).cookies;
    assert.equal((await verify(t.app, { token: token! }, other)).statusCode, 403);
    // A forged binding cookie (unsigned, or signed for another value) is no binding.
    const forged = { [BINDING_COOKIE]: `${'A'.repeat(43)}.${cookies[BINDING_COOKIE]!.split('.')[1]}` };
    assert.equal((await verify(t.app, { token: token! }, forged)).statusCode, 403);
    const codeThere = await verify(t.app, { email: 'elsewhere@example.com', code });
    assert.deepEqual([codeThere.statusCode, codeThere.json().code], [401, 'EMAIL_SIGN_IN_BAD_CODE']);
    assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 204);
  });

  test('wrong codes: each is a failed login (the login throttle counts it), and the fifth kills the code', async () => {
    await register(t.app, 'guess@example.com');
    const { cookies, code } = await askAndRead('guess@example.com');
    for (let i = 0; i < 5; i += 1) {
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/login/email/verify',
        payload: { email: 'guess@example.com', code: otherCode(code) },
        cookies,
        remoteAddress: '192.0.2.10',
      });
      assert.deepEqual([wrong.statusCode, wrong.json().code], [401, 'EMAIL_SIGN_IN_BAD_CODE']);
    }
    // Five failures from this address for this email: even the right password is throttled here.
    const throttled = await t.app.inject({
      method: 'POST',
      url: '/login',
      ...form({ email: 'guess@example.com', password: PASSWORD }),
      remoteAddress: '192.0.2.10',
    });
    assert.equal(throttled.statusCode, 429);
    // From another address the right code is still refused: the code is dead.
    const dead = await t.app.inject({
      method: 'POST',
      url: '/login/email/verify',
      payload: { email: 'guess@example.com', code },
      cookies,
      remoteAddress: '192.0.2.20',
    });
    assert.deepEqual([dead.statusCode, dead.json().code], [401, 'EMAIL_SIGN_IN_BAD_CODE']);
  });

  test('four wrong codes leave the fifth try to the right one', async () => {
    await register(t.app, 'four@example.com');
    const { cookies, code } = await askAndRead('four@example.com');
    for (let i = 0; i < 4; i += 1) {
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/login/email/verify',
        payload: { email: 'four@example.com', code: otherCode(code) },
        cookies,
        remoteAddress: `192.0.2.${30 + i}`,
      });
      assert.equal(wrong.statusCode, 401);
    }
    assert.equal(
      (await t.app.inject({ method: 'POST', url: '/login/email/verify', payload: { email: 'four@example.com', code }, cookies, remoteAddress: '192.0.2.40' }))
        .statusCode,
      204,
    );
  });

  test('an account with TOTP still gives its code: the link starts a pending sign-in (401 LOGIN_OTP_REQUIRED) that /login/otp finishes, amr "email otp"', async () => {
    const bearer = await userWithToken(t.app, 'totp@example.com');
    const { secret } = await enableTOTP(t.app, bearer, () => t.clock.now);
    t.clock.advance(30);
    const { cookies, token } = await askAndRead('totp@example.com');
    const first = await verify(t.app, { token: token! }, cookies);
    assert.deepEqual([first.statusCode, first.json().code], [401, 'LOGIN_OTP_REQUIRED']);
    assert.equal(setCookieHeader(first, 'token'), undefined, 'no session before the code');
    const pending = cookiesOf(first, cookies);
    assert.ok(pending.token_pending, 'the pending sign-in cookie');
    assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 400, 'the link was spent by the first factor');
    const finished = await t.app.inject({ method: 'POST', url: '/login/otp', cookies: pending, payload: { otp: totpAt(secret, t.clock.now) } });
    assert.equal(finished.statusCode, 204, finished.body);
    const user = (await t.store.findUserByEmail('totp@example.com'))!;
    const amrs = (await t.store.listUserTokens(user.id, t.clock.now)).map((s) => s.amr?.join(' '));
    assert.ok(amrs.includes('email otp'), JSON.stringify(amrs));
  });

  test('bearer: {email, transport: "bearer"} → 202 {request_id}, a code and no link; {email, code, request_id} → 200 bearer token', async () => {
    await register(t.app, 'api@example.com');
    const asked = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email: 'api@example.com', transport: 'bearer' } });
    assert.equal(asked.statusCode, 202);
    const { request_id } = asked.json() as { request_id: string };
    assert.match(request_id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(setCookieHeader(asked, BINDING_COOKIE), undefined, 'no binding cookie for an API client');
    const { code, token } = readSignInMail((await t.mailsTo('api@example.com')).at(-1)!);
    assert.equal(token, null, 'the link is for browsers');
    // Another first character: the last one of 32 bytes in base64url carries 4 bits (1 in 16 ids end in A already).
    const wrongId = await verify(t.app, { email: 'api@example.com', code, request_id: `${request_id.startsWith('A') ? 'B' : 'A'}${request_id.slice(1)}` });
    assert.equal(wrongId.statusCode, 401);
    const asBrowser = await verify(t.app, { email: 'api@example.com', code });
    assert.equal(asBrowser.statusCode, 401, 'a bearer request is not finished without its request_id');
    const done = await verify(t.app, { email: 'api@example.com', code, request_id });
    assert.equal(done.statusCode, 200, done.body);
    const body = done.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(body.token_type, 'bearer');
    assert.equal(done.headers['cache-control'], 'no-store');
    assert.equal(setCookieHeader(done, 'token'), undefined, 'no cookie for an API client');
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(body.access_token) })).json().is_verified, true);
    assert.equal((await verify(t.app, { email: 'api@example.com', code, request_id })).statusCode, 401, 'single use');
  });

  test('bearer with TOTP: the code alone is 401 LOGIN_OTP_REQUIRED and stays usable; with otp it is 200', async () => {
    const bearer = await userWithToken(t.app, 'api-totp@example.com');
    const { secret } = await enableTOTP(t.app, bearer, () => t.clock.now);
    t.clock.advance(30);
    const asked = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email: 'api-totp@example.com', transport: 'bearer' } });
    const { request_id } = asked.json() as { request_id: string };
    const { code } = readSignInMail((await t.mailsTo('api-totp@example.com')).at(-1)!);
    const required = await verify(t.app, { email: 'api-totp@example.com', code, request_id });
    assert.deepEqual([required.statusCode, required.json().code], [401, 'LOGIN_OTP_REQUIRED']);
    const done = await verify(t.app, { email: 'api-totp@example.com', code, request_id, otp: totpAt(secret, t.clock.now) });
    assert.equal(done.statusCode, 200, done.body);
  });

  test('an address changed since the mail: the link no longer signs in', async () => {
    const bearer = await userWithToken(t.app, 'moving@example.com');
    const { cookies, token } = await askAndRead('moving@example.com');
    const changed = await t.app.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: auth(bearer),
      payload: { email: 'moved@example.com', current_password: PASSWORD },
    });
    assert.equal(changed.statusCode, 200);
    assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 400);
  });

  test('an unverified account with a password: signing in by mail verifies it, ends its other sessions and retires the password its maker chose', async () => {
    const bearer = await userWithToken(t.app, 'prehijack@example.com');
    const { cookies, token } = await askAndRead('prehijack@example.com');
    assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(bearer) })).statusCode, 401, 'the earlier session ended');
    const password = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'prehijack@example.com', password: PASSWORD }) });
    assert.equal(password.statusCode, 401);
  });

  test('a verified account keeps its password and its sessions', async () => {
    const bearer = await userWithToken(t.app, 'kept@example.com');
    const user = (await t.store.findUserByEmail('kept@example.com'))!;
    await t.store.updateUser(user.id, { isVerified: true }, t.clock.now);
    const { cookies, code } = await askAndRead('kept@example.com');
    assert.equal((await verify(t.app, { email: 'kept@example.com', code }, cookies)).statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(bearer) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'kept@example.com', password: PASSWORD }) })).statusCode, 200);
  });

  test('bad input is a 4xx that changes nothing', async () => {
    for (const payload of [
      {},
      { token: '' },
      { email: 'x@example.com' },
      { email: 'x@example.com', code: '' },
      { token: 'x'.repeat(300) },
      { email: 'not an email', code: '123456' },
    ]) {
      const response = await verify(t.app, payload as Record<string, string>);
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${JSON.stringify(payload)}: ${response.statusCode}`);
    }
    const badToken = await verify(t.app, { token: 'not-a-token' }, {});
    assert.deepEqual([badToken.statusCode, badToken.json().code], [400, 'EMAIL_SIGN_IN_BAD_LINK']);
    const badTransport = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email: 'x@example.com', transport: 'pigeon' } });
    assert.equal(badTransport.statusCode, 422);
  });
});
