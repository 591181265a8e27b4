import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH } from '../../../src/core/account-tokens.js';
import { DEFAULT_REAUTHENTICATION_WINDOW } from '../../../src/core/options.js';
import { buildMailApp, type MailApp, PUBLIC_URL } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { tokenFromMail } from '../../support/mail.js';
import { bearerToken, form, register } from '../../support/requests.js';
import { countDummyVerifications } from '../../support/hashing.js';
import { actAtProvider, browse, CookieJar } from './flow.js';
import { startTestProvider, type TestProvider } from './test-provider.js';

const CALLBACK = `${PUBLIC_URL}/oauth/oidc/callback`;

describe('signing in through a real OpenID Provider (oidc-provider on loopback)', () => {
  let op: TestProvider;
  let t: MailApp;
  before(async () => {
    op = await startTestProvider({ redirectUris: [CALLBACK] });
    t = await buildMailApp({
      oauthProviders: [{ name: 'oidc', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret }],
      throttle: { registerLimit: 1000 },
    });
  });
  after(async () => {
    await t.close();
    await op.close();
  });

  /** Starts a flow in `jar`'s browser and returns the provider URL it redirected to. */
  async function start(jar: CookieJar, next?: string): Promise<URL> {
    const response = await browse(t.app, jar, `/oauth/oidc/authorize${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`);
    assert.equal(response.statusCode, 302, response.body);
    return new URL(response.headers.location as string);
  }

  /** The whole flow: start, sign in at the provider as `login`, come back; returns the callback's answer. */
  async function signIn(jar: CookieJar, login: string, next?: string) {
    const back = await actAtProvider((await start(jar, next)).href, login, { stopAt: CALLBACK });
    return browse(t.app, jar, `${back.pathname}${back.search}`);
  }

  /** Starts linking from the signed-in `jar` (the page's POST, with the CSRF header); returns the answer. */
  function startLink(jar: CookieJar, next?: string) {
    const query = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
    return browse(t.app, jar, `/oauth/oidc/link${query}`, { method: 'POST', headers: { 'x-csrftoken': jar.cookies.get('csrftoken') ?? '' } });
  }

  /** The whole link flow: POST …/link, act at the provider as `login`, come back; returns the callback's answer. */
  async function link(jar: CookieJar, login: string, next?: string) {
    const started = await startLink(jar, next);
    assert.equal(started.statusCode, 200, started.body);
    const back = await actAtProvider(started.json().authorization_url, login, { stopAt: CALLBACK });
    return browse(t.app, jar, `${back.pathname}${back.search}`);
  }

  const me = (jar: CookieJar) => browse(t.app, jar, '/users/me');

  test('authorize redirects to the provider with code flow, PKCE S256, state and nonce, and sets the signed 10-minute state cookie', async () => {
    const jar = new CookieJar();
    const response = await browse(t.app, jar, '/oauth/oidc/authorize?next=/somewhere');
    assert.equal(response.statusCode, 302);
    const url = new URL(response.headers.location as string);
    assert.equal(url.origin, op.issuer);
    const p = url.searchParams;
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('client_id'), op.clientId);
    assert.equal(p.get('redirect_uri'), CALLBACK);
    assert.equal(p.get('scope'), 'openid email profile');
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.match(p.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    // At least 128 bits: 43 base64url characters are 256.
    assert.ok(p.get('state')!.length >= 22 && p.get('nonce')!.length >= 22);
    const [cookie] = setCookiesNamed(response, 'fastify_users_oauth');
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Max-Age=600/);
    assert.match(cookie, /Path=\/oauth\//);
    // The verifier never leaves for the provider in clear; only its challenge does.
    assert.ok(!url.href.includes(JSON.parse(Buffer.from(cookie.split('=')[1]!.split('.')[0]!, 'base64url').toString()).verifier));
  });

  test('a new identity with a verified email: a user without a password is created and signed in as /login does it', async () => {
    op.accounts.set('new-verified', { email: 'New.Verified@Example.com', emailVerified: true });
    const jar = new CookieJar();
    jar.cookies.set('csrftoken', 'stale-token-from-before');
    const response = await signIn(jar, 'new-verified', '/profile?tab=1');
    assert.equal(response.statusCode, 302, response.body);
    assert.equal(response.headers.location, '/profile?tab=1');
    const [authCookie] = setCookiesNamed(response, 'token');
    assert.match(authCookie!, /HttpOnly/);
    assert.match(authCookie!, /SameSite=Lax/);
    assert.match(authCookie!, /Max-Age=86400/);
    // A fresh CSRF cookie, bound to the new session.
    assert.equal(setCookiesNamed(response, 'csrftoken').length, 1);
    assert.notEqual(jar.cookies.get('csrftoken'), 'stale-token-from-before');
    const user = (await me(jar)).json();
    assert.deepEqual({ email: user.email, is_verified: user.is_verified }, { email: 'new.verified@example.com', is_verified: true });
    // The session is in the list, and the identity is linked.
    assert.equal((await browse(t.app, jar, '/users/me/sessions')).json().length, 1);
    const accounts = (await browse(t.app, jar, '/users/me/accounts')).json();
    assert.deepEqual(
      accounts.map((a: { provider: string; account_email: string }) => [a.provider, a.account_email]),
      [['oidc', 'new.verified@example.com']],
    );
    assert.deepEqual(Object.keys(accounts[0]).sort(), ['account_email', 'created_at', 'id', 'provider']);
    // A CSRF-protected request works with the new pair.
    const logout = await browse(t.app, jar, '/logout', { method: 'POST', headers: { 'x-csrftoken': jar.cookies.get('csrftoken')! } });
    assert.equal(logout.statusCode, 204);
  });

  test('the same identity signs in again as the same user; an unverified new identity makes no user (OAUTH_EMAIL_NOT_VERIFIED)', async () => {
    const first = new CookieJar();
    assert.equal((await signIn(first, 'new-verified')).statusCode, 302);
    const again = (await me(first)).json();
    assert.equal(again.email, 'new.verified@example.com');

    op.accounts.set('new-unverified', { email: 'fresh@example.com', emailVerified: false });
    const refused = await signIn(new CookieJar(), 'new-unverified');
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().code, 'OAUTH_EMAIL_NOT_VERIFIED');
    assert.equal(await t.store.findUserByEmail('fresh@example.com'), null);

    op.accounts.set('new-fresh', { email: 'fresh@example.com', emailVerified: true });
    const jar = new CookieJar();
    assert.equal((await signIn(jar, 'new-fresh')).statusCode, 302);
    assert.equal((await me(jar)).json().is_verified, true);
  });

  test('a user without a password: /token answers as a wrong password (after hashing work); /forgot-password sets one', async () => {
    const dummies = countDummyVerifications(t.app);
    const response = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'fresh@example.com', password: PASSWORD }) });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().code, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(dummies(), 1);
    for (const password of ['!', '']) {
      const bad = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'fresh@example.com', password: password || 'x' }) });
      assert.equal(bad.statusCode, 401);
    }

    assert.equal((await t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email: 'fresh@example.com' } })).statusCode, 202);
    const { token } = tokenFromMail((await t.mailsTo('fresh@example.com')).at(-1)!, RESET_PASSWORD_LINK_PATH);
    const newPassword = 'a new and long enough password';
    assert.equal((await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password: newPassword } })).statusCode, 200);
    assert.ok(await bearerToken(t.app, 'fresh@example.com', newPassword));
  });

  test('pre-account takeover: an unverified local account is never linked by email, nor a verified one to an unverified identity', async () => {
    // The attacker registered the victim's address first, with their own password, unverified.
    assert.equal((await register(t.app, 'victim@example.com')).statusCode, 201);
    op.accounts.set('victim', { email: 'victim@example.com', emailVerified: true });
    const jar = new CookieJar();
    const response = await signIn(jar, 'victim');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'OAUTH_USER_ALREADY_EXISTS');
    assert.deepEqual(setCookiesNamed(response, 'token'), []);
    assert.equal((await me(jar)).statusCode, 401);

    // A verified local account and a provider that does not vouch for the email: refused too.
    const local = await t.app.fastifyUsers.auth.register('verified-local@example.com', PASSWORD, { isVerified: true });
    op.accounts.set('unverified-claim', { email: 'verified-local@example.com', emailVerified: false });
    const claim = await signIn(new CookieJar(), 'unverified-claim');
    assert.equal(claim.json().code, 'OAUTH_USER_ALREADY_EXISTS');
    assert.deepEqual(await t.store.oauthAccounts.listOAuthAccounts(local.id), []);

    // Both sides verified: linked and signed in.
    op.accounts.set('verified-claim', { email: 'verified-local@example.com', emailVerified: true });
    const both = new CookieJar();
    assert.equal((await signIn(both, 'verified-claim')).statusCode, 302);
    assert.equal((await me(both)).json().id, local.id);
    assert.equal((await t.store.oauthAccounts.listOAuthAccounts(local.id)).length, 1);
  });

  test('linking while signed in keeps the session; an identity linked to another user is refused and the session stays as it was', async () => {
    await register(t.app, 'linker@example.com');
    const jar = new CookieJar();
    const login = await browse(t.app, jar, '/login', { method: 'POST', ...form({ email: 'linker@example.com', password: PASSWORD }) });
    assert.equal(login.statusCode, 204);
    const session = jar.cookies.get('token');

    op.accounts.set('linker-identity', { email: 'someone-else@example.com', emailVerified: false });
    const linked = await link(jar, 'linker-identity', '/#profile');
    assert.equal(linked.statusCode, 302, linked.body);
    assert.equal(linked.headers.location, '/#profile');
    assert.deepEqual(setCookiesNamed(linked, 'token'), [], 'no new session');
    assert.equal(jar.cookies.get('token'), session);
    assert.deepEqual(
      (await browse(t.app, jar, '/users/me/accounts')).json().map((a: { account_email: string }) => a.account_email),
      ['someone-else@example.com'],
    );

    // "new-verified" belongs to another user.
    const taken = await link(jar, 'new-verified');
    assert.equal(taken.statusCode, 400);
    assert.equal(taken.json().code, 'OAUTH_ACCOUNT_ALREADY_LINKED');
    assert.deepEqual(setCookiesNamed(taken, 'token'), []);
    assert.equal((await me(jar)).json().email, 'linker@example.com');
    assert.equal((await browse(t.app, jar, '/users/me/accounts')).json().length, 1);

    // The user has a password: unlinking the only identity is allowed.
    const [account] = (await browse(t.app, jar, '/users/me/accounts')).json();
    const csrf = { 'x-csrftoken': jar.cookies.get('csrftoken')! };
    assert.equal((await browse(t.app, jar, `/users/me/accounts/${account.id}`, { method: 'DELETE', headers: csrf })).statusCode, 204);
    const again = await browse(t.app, jar, `/users/me/accounts/${account.id}`, { method: 'DELETE', headers: csrf });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().code, 'OAUTH_ACCOUNT_NOT_FOUND');
  });

  test('unlinking the last credential of a user without a password is refused; after a second link it is allowed', async () => {
    op.accounts.set('only-link', { email: 'only-link@example.com', emailVerified: true });
    const jar = new CookieJar();
    assert.equal((await signIn(jar, 'only-link')).statusCode, 302);
    const csrf = () => ({ 'x-csrftoken': jar.cookies.get('csrftoken')! });
    const [first] = (await browse(t.app, jar, '/users/me/accounts')).json();
    const refused = await browse(t.app, jar, `/users/me/accounts/${first.id}`, { method: 'DELETE', headers: csrf() });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().code, 'OAUTH_LAST_CREDENTIAL');
    // Without the CSRF header the cookie-authenticated DELETE does not even run.
    assert.equal((await browse(t.app, jar, `/users/me/accounts/${first.id}`, { method: 'DELETE' })).statusCode, 403);

    op.accounts.set('second-link', { email: 'second@example.com', emailVerified: true });
    assert.equal((await link(jar, 'second-link')).statusCode, 302);
    assert.equal((await browse(t.app, jar, `/users/me/accounts/${first.id}`, { method: 'DELETE', headers: csrf() })).statusCode, 204);
    const [second] = (await browse(t.app, jar, '/users/me/accounts')).json();
    assert.equal((await browse(t.app, jar, `/users/me/accounts/${second.id}`, { method: 'DELETE', headers: csrf() })).json().code, 'OAUTH_LAST_CREDENTIAL');
  });

  test('an inactive user signing in through the provider gets the answer of a bad login', async () => {
    op.accounts.set('to-deactivate', { email: 'inactive@example.com', emailVerified: true });
    assert.equal((await signIn(new CookieJar(), 'to-deactivate')).statusCode, 302);
    const user = await t.store.findUserByEmail('inactive@example.com');
    await t.store.updateUser(user!.id, { isActive: false }, new Date());
    const jar = new CookieJar();
    const response = await signIn(jar, 'to-deactivate');
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().code, 'LOGIN_BAD_CREDENTIALS');
    assert.deepEqual(setCookiesNamed(response, 'token'), []);
  });

  test('POST …/link answers the provider URL of a flow marked as a link; it needs a session and, with the cookie, the CSRF header', async () => {
    await register(t.app, 'starter@example.com');
    const jar = new CookieJar();
    await browse(t.app, jar, '/login', { method: 'POST', ...form({ email: 'starter@example.com', password: PASSWORD }) });
    const started = await startLink(jar, '/#/linked');
    assert.equal(started.statusCode, 200, started.body);
    const url = new URL(started.json().authorization_url);
    assert.equal(url.origin, op.issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(setCookiesNamed(started, 'fastify_users_oauth').length, 1);

    const noCSRF = await browse(t.app, jar, '/oauth/oidc/link', { method: 'POST' });
    assert.equal(noCSRF.statusCode, 403);
    assert.deepEqual(setCookiesNamed(noCSRF, 'fastify_users_oauth'), []);
    const signedOut = await t.app.inject({ method: 'POST', url: '/oauth/oidc/link' });
    assert.equal(signedOut.statusCode, 401);
    assert.deepEqual(setCookiesNamed(signedOut, 'fastify_users_oauth'), []);
    const unknown = await browse(t.app, jar, '/oauth/nope/link', { method: 'POST', headers: { 'x-csrftoken': jar.cookies.get('csrftoken')! } });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().code, 'OAUTH_UNKNOWN_PROVIDER');
  });

  test('linking needs recent authentication (403 REAUTHENTICATION_REQUIRED past the window, unless the request carries the password) and mails the user', async () => {
    await register(t.app, 'stale@example.com');
    const jar = new CookieJar();
    await browse(t.app, jar, '/login', { method: 'POST', ...form({ email: 'stale@example.com', password: PASSWORD }) });
    t.clock.advance(DEFAULT_REAUTHENTICATION_WINDOW + 1);
    const stale = await startLink(jar);
    assert.equal(stale.statusCode, 403);
    assert.equal(stale.json().code, 'REAUTHENTICATION_REQUIRED');
    assert.deepEqual(setCookiesNamed(stale, 'fastify_users_oauth'), [], 'no flow started');

    const csrf = { 'x-csrftoken': jar.cookies.get('csrftoken')!, 'content-type': 'application/json' };
    const wrong = await browse(t.app, jar, '/oauth/oidc/link', {
      method: 'POST',
      headers: csrf,
      payload: JSON.stringify({ current_password: 'not the password at all' }),
    });
    assert.equal(wrong.statusCode, 401);
    const proved = await browse(t.app, jar, '/oauth/oidc/link', { method: 'POST', headers: csrf, payload: JSON.stringify({ current_password: PASSWORD }) });
    assert.equal(proved.statusCode, 200, proved.body);

    op.accounts.set('stale-identity', { email: 'stale-elsewhere@example.com', emailVerified: true });
    const back = await actAtProvider(proved.json().authorization_url, 'stale-identity', { stopAt: CALLBACK });
    assert.equal((await browse(t.app, jar, `${back.pathname}${back.search}`)).statusCode, 302);
    const mails = await t.mailsTo('stale@example.com');
    assert.ok(
      mails.some((m) => m.decoded.includes('Sign-in with your oidc account was added to your account')),
      'the user is told of the new link',
    );
  });

  test("a navigation to /authorize while signed in never links: it is a sign-in as the identity's own user, and the old session is left as it is", async () => {
    await register(t.app, 'navigated@example.com');
    const jar = new CookieJar();
    await browse(t.app, jar, '/login', { method: 'POST', ...form({ email: 'navigated@example.com', password: PASSWORD }) });
    const session = jar.cookies.get('token')!;
    const victim = (await t.store.findUserByEmail('navigated@example.com'))!;
    // Someone else's provider account, reached by a plain navigation (a link on another site).
    op.accounts.set('planted-by-navigation', { email: 'planter@example.com', emailVerified: true });
    const response = await signIn(jar, 'planted-by-navigation');
    assert.equal(response.statusCode, 302, response.body);
    assert.deepEqual(await t.store.oauthAccounts.listOAuthAccounts(victim.id), [], 'nothing linked to the signed-in user');
    // The browser now holds a session of the identity's own user; the earlier session still works on its own.
    assert.equal((await me(jar)).json().email, 'planter@example.com');
    const earlier = await t.app.inject({ method: 'GET', url: '/users/me', headers: { cookie: `token=${session}` } });
    assert.equal(earlier.json().email, 'navigated@example.com');
  });

  test('`next` off-site lands on `/`', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/ok\r\nSet-Cookie: x=1']) {
      const jar = new CookieJar();
      const response = await signIn(jar, 'new-verified', next);
      assert.equal(response.statusCode, 302);
      assert.equal(response.headers.location, '/', next);
    }
  });

  test('the state cookie is single use: a replayed callback is refused, with no session', async () => {
    const jar = new CookieJar();
    const back = await actAtProvider((await start(jar)).href, 'new-verified', { stopAt: CALLBACK });
    const stateCookie = jar.cookies.get('fastify_users_oauth')!;
    assert.equal((await browse(t.app, jar, `${back.pathname}${back.search}`)).statusCode, 302);
    // A second browser replays the very same request, cookie included.
    const thief = new CookieJar();
    thief.cookies.set('fastify_users_oauth', stateCookie);
    const replay = await browse(t.app, thief, `${back.pathname}${back.search}`);
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.json().code, 'OAUTH_STATE_INVALID');
    assert.deepEqual(setCookiesNamed(replay, 'token'), []);
    // And the first browser's cookie is gone.
    assert.equal(jar.cookies.get('fastify_users_oauth'), undefined);
  });

  test('missing, mismatched and expired state are refused before any code exchange', async () => {
    const noCookie = new CookieJar();
    const back = await actAtProvider((await start(noCookie)).href, 'new-verified', { stopAt: CALLBACK });
    noCookie.cookies.delete('fastify_users_oauth');
    const missing = await browse(t.app, noCookie, `${back.pathname}${back.search}`);
    assert.equal(missing.json().code, 'OAUTH_STATE_INVALID');

    const mismatch = new CookieJar();
    const back2 = await actAtProvider((await start(mismatch)).href, 'new-verified', { stopAt: CALLBACK });
    back2.searchParams.set('state', 'A'.repeat(43));
    const wrong = await browse(t.app, mismatch, `${back2.pathname}${back2.search}`);
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().code, 'OAUTH_STATE_INVALID');

    const tampered = new CookieJar();
    const back3 = await actAtProvider((await start(tampered)).href, 'new-verified', { stopAt: CALLBACK });
    const [payload, mac] = tampered.cookies.get('fastify_users_oauth')!.split('.');
    const flow = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    tampered.cookies.set('fastify_users_oauth', `${Buffer.from(JSON.stringify({ ...flow, next: 'https://evil.example' })).toString('base64url')}.${mac}`);
    assert.equal((await browse(t.app, tampered, `${back3.pathname}${back3.search}`)).json().code, 'OAUTH_STATE_INVALID');

    const late = new CookieJar();
    const back4 = await actAtProvider((await start(late)).href, 'new-verified', { stopAt: CALLBACK });
    t.clock.advance(601);
    const expired = await browse(t.app, late, `${back4.pathname}${back4.search}`);
    assert.equal(expired.statusCode, 400);
    assert.equal(expired.json().code, 'OAUTH_STATE_INVALID');
    assert.deepEqual(setCookiesNamed(expired, 'token'), []);
  });

  test('a flow started signed out cannot finish in another session (and the other way round)', async () => {
    await register(t.app, 'binder@example.com');
    const jar = new CookieJar();
    const back = await actAtProvider((await start(jar)).href, 'new-verified', { stopAt: CALLBACK });
    await browse(t.app, jar, '/login', { method: 'POST', ...form({ email: 'binder@example.com', password: PASSWORD }) });
    const response = await browse(t.app, jar, `${back.pathname}${back.search}`);
    assert.equal(response.json().code, 'OAUTH_STATE_INVALID');
    assert.deepEqual(await t.store.oauthAccounts.listOAuthAccounts((await t.store.findUserByEmail('binder@example.com'))!.id), []);
  });

  test("a code the provider never issued, and the provider's access_denied, are OAUTH_CALLBACK_FAILED with no session", async () => {
    const jar = new CookieJar();
    const back = await actAtProvider((await start(jar)).href, 'new-verified', { stopAt: CALLBACK });
    back.searchParams.set('code', 'never-issued-code-0123456789');
    const forged = await browse(t.app, jar, `${back.pathname}${back.search}`);
    assert.equal(forged.statusCode, 400);
    assert.equal(forged.json().code, 'OAUTH_CALLBACK_FAILED');
    assert.deepEqual(setCookiesNamed(forged, 'token'), []);

    const denied = new CookieJar();
    const cancelled = await actAtProvider((await start(denied)).href, 'new-verified', { stopAt: CALLBACK, abort: true });
    assert.equal(cancelled.searchParams.get('error'), 'access_denied');
    const response = await browse(t.app, denied, `${cancelled.pathname}${cancelled.search}`);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'OAUTH_CALLBACK_FAILED');
    assert.deepEqual(setCookiesNamed(response, 'token'), []);
  });

  test('a browser navigation that fails lands on the failure page with the code, when one is configured (JSON otherwise)', async () => {
    const response = await browse(t.app, new CookieJar(), '/oauth/oidc/callback?code=x&state=y', { headers: { 'sec-fetch-mode': 'navigate' } });
    // This app has no failure page: the JSON error.
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'OAUTH_STATE_INVALID');
  });

  test('unknown provider: 404 OAUTH_UNKNOWN_PROVIDER; /oauth/providers lists the configured ones', async () => {
    for (const url of ['/oauth/nope/authorize', '/oauth/nope/callback?code=x&state=y']) {
      const response = await t.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'OAUTH_UNKNOWN_PROVIDER');
    }
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/oauth/providers' })).json(), [{ name: 'oidc', authorize_url: '/oauth/oidc/authorize' }]);
  });
});
