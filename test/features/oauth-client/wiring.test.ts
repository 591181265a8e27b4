import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.js';
import { MemoryCounterStore } from '../../../src/store/memory-counters.js';
import { buildServer, readConfig } from '../../../src/server.js';
import { buildMailApp, buildTestApp, type MailApp } from '../../support/apps.js';
import { PASSWORD, TEST_SECRET } from '../../support/constants.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { bearerToken } from '../../support/requests.js';
import { enableTOTP, totpAt } from '../../support/totp.js';
import { browse, CookieJar } from './flow.js';
import { startStandInIssuer, type StandInIssuer } from './stand-in-issuer.js';

let issuer: StandInIssuer;
before(async () => {
  issuer = await startStandInIssuer({ clientId: 'wiring-client' });
});
after(async () => issuer.close());

/** Starts a flow and comes back with the stand-in's honest ID token for `sub`. */
async function signIn(app: MailApp['app'], jar: CookieJar, sub: string, headers: Record<string, string> = {}) {
  const start = await browse(app, jar, '/oauth/standin/authorize');
  const authorization = new URL(start.headers.location as string);
  issuer.fault = 'valid';
  issuer.nonce = authorization.searchParams.get('nonce')!;
  issuer.subject = { sub, email: `${sub}@example.com`, email_verified: true };
  return browse(app, jar, `/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`, { headers });
}

describe('throttles at the callback', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp({
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
      throttle: { registerLimit: 2, identifierAddressLimit: 2 },
    });
  });
  after(async () => t.close());

  test('creating users through a provider counts as registering: over the limit it is 429 with Retry-After and no user', async () => {
    assert.equal((await signIn(t.app, new CookieJar(), 'reg-1')).statusCode, 302);
    assert.equal((await signIn(t.app, new CookieJar(), 'reg-2')).statusCode, 302);
    const third = await signIn(t.app, new CookieJar(), 'reg-3');
    assert.equal(third.statusCode, 429);
    assert.equal(third.json().code, 'TOO_MANY_REQUESTS');
    assert.ok(Number(third.headers['retry-after']) > 0);
    assert.equal(await t.store.findUserByEmail('reg-3@example.com'), null);
    // An existing identity still signs in: that is a login, not a registration.
    assert.equal((await signIn(t.app, new CookieJar(), 'reg-1')).statusCode, 302);
  });

  test('a provider sign-in neither spends nor clears the password-login counters of the email it asserts', async () => {
    const wrongLogin = () =>
      t.app.inject({
        method: 'POST',
        url: '/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'email=reg-2%40example.com&password=wrong-password-guess',
      });
    assert.equal((await wrongLogin()).statusCode, 401);
    // One wrong password left before the limit (2): the provider's sign-in for that email must not reset it.
    assert.equal((await signIn(t.app, new CookieJar(), 'reg-2')).statusCode, 302);
    assert.deepEqual([(await wrongLogin()).statusCode, (await wrongLogin()).statusCode], [401, 429]);
    // And with the password counters full, the provider still signs its own identity in.
    assert.equal((await signIn(t.app, new CookieJar(), 'reg-2')).statusCode, 302);
  });
});

describe("the callback's own throttle: per address before any work, per provider identity", () => {
  test('one address is limited at /authorize and at the callback (429 with Retry-After), bad states included', async () => {
    const counters = new MemoryCounterStore();
    const t = await buildMailApp({
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
      throttle: { addressLimit: 3 },
      counters,
    });
    try {
      const jar = new CookieJar();
      const starts = [];
      for (let i = 0; i < 4; i++) starts.push((await browse(t.app, jar, '/oauth/standin/authorize')).statusCode);
      assert.deepEqual(starts, [302, 302, 302, 429]);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await browse(t.app, new CookieJar(), `/oauth/standin/callback?code=c&state=forged-${i}`)).statusCode);
      assert.deepEqual(statuses, [400, 400, 400, 429]);
    } finally {
      await t.close();
    }
  });

  test('a full counter store is 429 at the callback, never 500', async () => {
    const counters = new MemoryCounterStore({ maxKeys: 3 });
    const t = await buildMailApp({
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
      counters,
    });
    try {
      const jar = new CookieJar();
      const start = await browse(t.app, jar, '/oauth/standin/authorize');
      const authorization = new URL(start.headers.location as string);
      // A flood filled the store meanwhile: no new key fits, the state claim's included.
      for (let i = 0; ; i++) {
        try {
          await counters.increment(`flood:${i}`, 900);
        } catch {
          break;
        }
      }
      issuer.fault = 'valid';
      issuer.nonce = authorization.searchParams.get('nonce')!;
      issuer.subject = { sub: 'full-store', email: 'full-store@example.com', email_verified: true };
      const response = await browse(t.app, jar, `/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`);
      assert.equal(response.statusCode, 429, response.body);
      assert.equal(response.json().code, 'TOO_MANY_REQUESTS');
      assert.ok(Number(response.headers['retry-after']) > 0);
    } finally {
      await t.close();
    }
  });

  test('failures of one provider identity are limited per identity (429)', async () => {
    const t = await buildMailApp({
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
      throttle: { identifierLimit: 2 },
    });
    try {
      // A local, unverified account holds the address: the identity cannot sign in as it.
      await t.app.fastifyUsers.auth.register('taken@example.com', PASSWORD);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await signIn(t.app, new CookieJar(), 'taken')).statusCode);
      assert.deepEqual(
        statuses.slice(0, 2).map((s) => s >= 400 && s < 429),
        [true, true],
        String(statuses),
      );
      assert.equal(statuses[2], 429);
    } finally {
      await t.close();
    }
  });
});

describe('a user with two-factor sign-in', () => {
  test('signing in through a provider leads to the one-time-code step, not to a session; the code finishes it', async () => {
    const clock = { now: new Date() };
    const t = await buildTestApp({
      publicUrl: 'https://auth.example.com',
      now: () => clock.now,
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
    });
    try {
      const user = await t.app.fastifyUsers.auth.register('totp-user@example.com', PASSWORD, { isVerified: true });
      const { secret } = await enableTOTP(t.app, await bearerToken(t.app, 'totp-user@example.com'), () => clock.now);
      clock.now = new Date(clock.now.getTime() + 30_000); // the next step: the enrolment code is spent
      // Rule 3 links the verified identity to the verified account; rule 2 would do the same afterwards.
      const jar = new CookieJar();
      const response = await signIn(t.app, jar, 'totp-user');
      assert.equal(response.statusCode, 302, response.body);
      assert.equal(response.headers.location, '/#/otp');
      assert.deepEqual(setCookiesNamed(response, 'token'), [], 'no session before the code');
      assert.equal(setCookiesNamed(response, 'token_pending').length, 1);
      assert.equal((await t.store.oauthAccounts.listOAuthAccounts(user.id)).length, 1);

      const finish = await browse(t.app, jar, '/login/otp', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `otp=${totpAt(secret, clock.now)}`,
      });
      assert.equal(finish.statusCode, 204, finish.body);
      assert.equal((await browse(t.app, jar, '/users/me')).json().email, 'totp-user@example.com');
    } finally {
      await t.close();
    }
  });
});

describe('configuration and the server', () => {
  test('oauthProviders without publicUrl is refused at registration, naming the option', async () => {
    await assert.rejects(
      buildTestApp({ oauthProviders: [{ name: 'github', clientId: 'a', clientSecret: 'b' }] }),
      (error: unknown) => error instanceof ConfigError && error.key === 'publicUrl',
    );
  });

  test("under a routePrefix the redirect URI, the state cookie's path and the sign-in all carry the prefix", async () => {
    const t = await buildTestApp({
      routePrefix: '/auth',
      publicUrl: 'https://app.example.com',
      oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'wiring-client', clientSecret: 's' }],
    });
    try {
      const jar = new CookieJar();
      const start = await browse(t.app, jar, '/auth/oauth/standin/authorize?next=/app/home');
      assert.equal(start.statusCode, 302, start.body);
      const authorization = new URL(start.headers.location as string);
      assert.equal(authorization.searchParams.get('redirect_uri'), 'https://app.example.com/auth/oauth/standin/callback');
      assert.match(setCookiesNamed(start, 'fastify_users_oauth')[0]!, /Path=\/auth\/oauth\//);
      issuer.fault = 'valid';
      issuer.nonce = authorization.searchParams.get('nonce')!;
      issuer.subject = { sub: 'prefixed', email: 'prefixed@example.com', email_verified: true };
      const back = await browse(t.app, jar, `/auth/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`);
      assert.equal(back.statusCode, 302, back.body);
      assert.equal(back.headers.location, '/app/home');
      assert.equal((await browse(t.app, jar, '/auth/users/me')).json().email, 'prefixed@example.com');
    } finally {
      await t.close();
    }
  });

  test('the server reads OAUTH_* and sends a failed browser sign-in to the web page with the code; API calls get JSON', async () => {
    const app = await buildServer(
      readConfig({
        DATABASE_URL: 'sqlite::memory:',
        SECRET_KEY: TEST_SECRET,
        PUBLIC_URL: 'https://auth.example.com',
        OAUTH_PROVIDERS: 'standin',
        OAUTH_STANDIN_CLIENT_ID: 'wiring-client',
        OAUTH_STANDIN_CLIENT_SECRET: 's',
        OAUTH_STANDIN_ISSUER: issuer.issuer,
      }),
      { logger: false },
    );
    try {
      assert.deepEqual((await app.inject({ method: 'GET', url: '/oauth/providers' })).json(), [{ name: 'standin', authorize_url: '/oauth/standin/authorize' }]);
      const navigation = await app.inject({ method: 'GET', url: '/oauth/standin/callback?code=x&state=y', headers: { 'sec-fetch-mode': 'navigate' } });
      assert.equal(navigation.statusCode, 302);
      assert.equal(navigation.headers.location, '/#oauth_error=OAUTH_STATE_INVALID');
      const api = await app.inject({ method: 'GET', url: '/oauth/standin/callback?code=x&state=y' });
      assert.equal(api.statusCode, 400);
      assert.equal(api.json().code, 'OAUTH_STATE_INVALID');
      const unknown = await app.inject({ method: 'GET', url: '/oauth/nope/authorize', headers: { 'sec-fetch-mode': 'navigate' } });
      assert.equal(unknown.headers.location, '/#oauth_error=OAUTH_UNKNOWN_PROVIDER');
    } finally {
      await app.close();
    }
  });

  test('the OpenAPI document describes the new routes, each with an operationId and a summary; public ones say security: []', async () => {
    const app = await buildServer(readConfig({ DATABASE_URL: 'sqlite::memory:', SECRET_KEY: TEST_SECRET }), { logger: false });
    try {
      const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const operations = [
        ['/oauth/providers', 'get', true],
        ['/oauth/{provider}/authorize', 'get', true],
        ['/oauth/{provider}/callback', 'get', true],
        ['/users/me/accounts', 'get', false],
        ['/users/me/accounts/{id}', 'delete', false],
      ] as const;
      for (const [path, method, isPublic] of operations) {
        const operation = spec.paths[path]?.[method];
        assert.ok(operation, `${method} ${path}`);
        assert.ok(operation.operationId && operation.summary, `${path} has operationId and summary`);
        if (isPublic) assert.deepEqual(operation.security, []);
        else assert.deepEqual(operation.security, [{ OAuth2PasswordBearer: [] }]);
      }
    } finally {
      await app.close();
    }
  });
});
