import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { CredentialResolver, DelegatedSession, PresentedCredential } from '../../src/core/credentials.js';
import { fastifyUsers } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { bearerToken, register } from '../support/requests.js';
import { sqliteURL, tempDir } from '../support/temp.js';

// The guard's credential resolvers (docs/resource-server.md), through the public option: a test
// resolver stands in for the provider's access tokens and for API keys. Every branch — decline,
// refuse, admit with scopes, a missing scope, account routes refused to anything but a
// first-party session — in library mode (inject) and over HTTP (a listening server, fetch).

/** What a client sees of a response, whichever way it was sent. */
interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: Record<string, unknown>;
}
type Send = (method: string, url: string, headers: Record<string, string>, payload?: unknown) => Promise<Answer>;

/** Tokens the test resolver knows: `tst_` and what it answers; anything else it declines. */
const known = new Map<string, () => Promise<DelegatedSession | null>>();
const presented: PresentedCredential[] = [];
const testResolver: CredentialResolver = {
  name: 'test',
  resolve(credential) {
    presented.push(credential);
    const value = credential.bearer ?? credential.apiKey;
    if (value === undefined || !value.startsWith('tst_')) return undefined;
    const answer = known.get(value);
    return answer ? answer() : null;
  },
};

/** Every account-management route (docs/resource-server.md): a delegated credential gets 403 on each. */
const FIRST_PARTY_ROUTES: [string, string][] = [
  ['POST', '/logout'],
  ['PATCH', '/users/me'],
  ['DELETE', '/users/me'],
  ['GET', '/users/me/sessions'],
  ['DELETE', '/users/me/sessions'],
  ['DELETE', '/users/me/sessions/x'],
  ['GET', '/users'],
  ['GET', '/users/1'],
  ['PATCH', '/users/1'],
  ['DELETE', '/users/1'],
  ['POST', '/users/me/reauthenticate'],
  ['GET', '/users/me/totp'],
  ['POST', '/users/me/totp'],
  ['DELETE', '/users/me/totp'],
  ['POST', '/users/me/totp/confirm'],
  ['POST', '/users/me/passkeys/options'],
  ['POST', '/users/me/passkeys'],
  ['GET', '/users/me/passkeys'],
  ['DELETE', '/users/me/passkeys/x'],
  ['GET', '/users/me/accounts'],
  ['DELETE', '/users/me/accounts/1'],
];

describe('credential resolvers', () => {
  let app: FastifyInstance;
  let cleanup: () => void;
  let baseURL: string;
  const routes: RouteOptions[] = [];
  let firstParty: string;
  let superuser: string;

  before(async () => {
    const dir = tempDir();
    cleanup = dir.cleanup;
    app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    await app.register(fastifyUsers, {
      databaseUrl: sqliteURL(dir),
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      credentialResolvers: [testResolver],
    });
    // Host routes: any credential; a scope by preHandler; a scope by route option; first-party only.
    app.get('/host/any', { preHandler: app.authenticate }, async (request) => {
      const session = request.authSession;
      return {
        kind: session.kind,
        email: request.user.email,
        client: session.kind === 'provider' ? session.clientId : null,
        key: session.kind === 'api_key' ? session.keyId : null,
      };
    });
    app.get('/host/read', { preHandler: app.requireScopes('notes:read') }, async (request) => ({ kind: request.authSession.kind }));
    app.get('/host/write', { preHandler: app.authenticate, config: { requireScopes: ['notes:read', 'notes:write'] } }, async () => ({ ok: true }));
    app.get('/host/option-only', { config: { requireScopes: ['notes:read'] } }, async (request) => ({ email: request.user.email }));
    app.get('/host/first-party', { preHandler: app.fastifyUsers.guard({ firstParty: true }) }, async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    baseURL = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    await register(app, 'reader@example.com');
    await register(app, 'boss@example.com');
    await register(app, 'gone@example.com');
    firstParty = await bearerToken(app, 'reader@example.com', PASSWORD);
    const services = app.fastifyUsers.account;
    // Read afresh at each resolution, as a real resolver must (a deactivation counts at once).
    const userByEmail = async (email: string) => (await services.listUsers(0, 100)).find((user) => user.email === email)!;
    const bossUser = await userByEmail('boss@example.com');
    await services.updateUser(bossUser.id, { isSuperuser: true });
    superuser = await bearerToken(app, 'boss@example.com', PASSWORD);
    known.set('tst_read', async () => ({ kind: 'provider', user: await userByEmail('reader@example.com'), clientId: 'client-1', scopes: ['notes:read'] }));
    known.set('tst_boss', async () => ({
      kind: 'provider',
      user: await userByEmail('boss@example.com'),
      clientId: 'client-1',
      scopes: ['notes:read', 'notes:write'],
    }));
    known.set('tst_key', async () => ({ kind: 'api_key', user: await userByEmail('reader@example.com'), keyId: 'key-1', scopes: [] }));
    // A resolver that forgot to check its user: the guard refuses the inactive account all the same.
    const goneUser = await userByEmail('gone@example.com');
    await services.updateUser(goneUser.id, { isActive: false });
    known.set('tst_gone', async () => ({ kind: 'provider', user: await userByEmail('gone@example.com'), clientId: 'client-1', scopes: ['notes:read'] }));
    known.set('tst_down', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    });
  });
  after(async () => {
    await app.close();
    cleanup();
  });

  const library: Send = async (method, url, headers, payload) => {
    const response = await app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, headers: response.headers as Record<string, string | undefined>, body: response.body ? response.json() : {} };
  };
  const http: Send = async (method, url, headers, payload) => {
    const response = await fetch(baseURL + url, {
      method,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await response.text();
    return { status: response.status, headers: Object.fromEntries(response.headers), body: text ? JSON.parse(text) : {} };
  };

  for (const [mode, send] of [
    ['library mode', library],
    ['over HTTP', http],
  ] as const) {
    describe(mode, () => {
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

      test('a credential every resolver declines, and one a resolver refuses: 401 with WWW-Authenticate: Bearer', async () => {
        for (const headers of [bearer('eyJhbGciOi.not-ours.x'), bearer('tst_unknown'), { 'x-api-key': 'tst_unknown' }, { 'x-api-key': 'other' }]) {
          for (const url of ['/users/me', '/host/any', '/host/read']) {
            const answer = await send('GET', url, headers);
            assert.equal(answer.status, 401, `${url} ${JSON.stringify(headers)}`);
            assert.equal(answer.body.code, 'NOT_AUTHENTICATED');
            assert.equal(answer.headers['www-authenticate'], 'Bearer');
          }
        }
      });

      test('a resolved provider token: GET /users/me and host routes, request.authSession says what it is', async () => {
        const me = await send('GET', '/users/me', bearer('tst_read'));
        assert.equal(me.status, 200);
        assert.equal(me.body.email, 'reader@example.com');
        const host = await send('GET', '/host/any', bearer('tst_read'));
        assert.deepEqual(host.body, { kind: 'provider', email: 'reader@example.com', client: 'client-1', key: null });
        const key = await send('GET', '/host/any', { 'x-api-key': 'tst_key' });
        assert.deepEqual(key.body, { kind: 'api_key', email: 'reader@example.com', client: null, key: 'key-1' });
        const session = await send('GET', '/host/any', bearer(firstParty));
        assert.deepEqual(session.body, { kind: 'session', email: 'reader@example.com', client: null, key: null });
      });

      test('scopes: held → 200; missing → 403 INSUFFICIENT_SCOPE with the RFC 6750 challenge; a first-party session holds them all', async () => {
        assert.equal((await send('GET', '/host/read', bearer('tst_read'))).status, 200);
        assert.equal((await send('GET', '/host/option-only', bearer('tst_read'))).status, 200);
        assert.equal((await send('GET', '/host/write', bearer('tst_boss'))).status, 200);
        for (const [url, scope] of [
          ['/host/write', 'notes:read notes:write'],
          ['/host/read', 'notes:read'],
        ] as const) {
          const headers = url === '/host/read' ? { 'x-api-key': 'tst_key' } : bearer('tst_read');
          const refused = await send('GET', url, headers);
          assert.equal(refused.status, 403, url);
          assert.equal(refused.body.code, 'INSUFFICIENT_SCOPE');
          assert.match(String(refused.body.detail), new RegExp(scope));
          assert.equal(refused.headers['www-authenticate'], `Bearer error="insufficient_scope", scope="${scope}"`);
        }
        for (const url of ['/host/read', '/host/write', '/host/option-only']) {
          assert.equal((await send('GET', url, bearer(firstParty))).status, 200, url);
        }
        // Without any credential, the route option authenticates: 401, not 403.
        assert.equal((await send('GET', '/host/option-only', {})).status, 401);
      });

      test('account management answers 403 FIRST_PARTY_SESSION_REQUIRED to a provider token and an API key, and nothing changes', async () => {
        for (const headers of [bearer('tst_boss'), { 'x-api-key': 'tst_key' }]) {
          for (const [method, url] of [...FIRST_PARTY_ROUTES, ['GET', '/host/first-party'] as [string, string]]) {
            const payload = method === 'GET' ? undefined : {};
            const answer = await send(method, url, headers, payload);
            assert.equal(answer.status, 403, `${method} ${url}`);
            assert.equal(answer.body.code, 'FIRST_PARTY_SESSION_REQUIRED', `${method} ${url}`);
          }
        }
        // The same routes still serve the first-party session (the superuser's, for the admin routes).
        assert.equal((await send('GET', '/users/me/sessions', bearer(firstParty))).status, 200);
        assert.equal((await send('GET', '/users', bearer(superuser))).status, 200);
        assert.equal((await send('GET', '/host/first-party', bearer(firstParty))).status, 200);
        assert.equal((await send('GET', '/users/me', bearer('tst_read'))).status, 200);
      });

      test('an inactive user is refused even when a resolver admits them; a resolver whose store is away is a 503', async () => {
        const gone = await send('GET', '/users/me', bearer('tst_gone'));
        assert.equal(gone.status, 401);
        assert.equal(gone.body.code, 'NOT_AUTHENTICATED');
        const down = await send('GET', '/host/any', bearer('tst_down'));
        assert.equal(down.status, 503);
        assert.equal(down.body.code, 'SERVICE_UNAVAILABLE');
        assert.ok(!JSON.stringify(down.body).includes('ECONNREFUSED'));
      });
    });
  }

  test('the resolvers never see a first-party token, a request without credentials, or a cookie session', async () => {
    presented.length = 0;
    for (let i = 0; i < 3; i++) assert.equal((await library('GET', '/users/me', { authorization: `Bearer ${firstParty}` })).status, 200);
    assert.equal((await library('GET', '/users/me', {})).status, 401);
    assert.equal((await library('GET', '/users/me', { authorization: `Bearer ${'x'.repeat(43)}` })).status, 401);
    assert.deepEqual(presented, []);
  });

  test('no plugin route with a hook but GET /users/me and /protected-route lets a provider token through', async () => {
    let checked = 0;
    for (const route of routes) {
      const hooked = [route.preValidation, route.preHandler].flat().some((hook) => hook !== undefined);
      if (!hooked || route.url.startsWith('/host/')) continue;
      for (const method of [route.method].flat()) {
        const key = `${method} ${route.url}`;
        if (key === 'GET /users/me' || key === 'GET /protected-route' || method === 'HEAD') continue;
        const answer = await library(method, route.url.replace(/:[a-z]+/g, '1'), { authorization: 'Bearer tst_boss' }, method === 'GET' ? undefined : {});
        assert.ok(answer.status >= 400, `${key} answered ${answer.status} to a provider token`);
        checked += 1;
      }
    }
    assert.ok(checked >= FIRST_PARTY_ROUTES.length, `only ${checked} routes checked`);
  });

  test("app.fastifyUsers.registerCredentialResolver adds a resolver after the option's", async () => {
    const dir = tempDir();
    const other = Fastify({ logger: false });
    try {
      await other.register(fastifyUsers, { databaseUrl: sqliteURL(dir), secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true });
      const order: string[] = [];
      other.fastifyUsers.registerCredentialResolver({ name: 'one', resolve: () => void order.push('one') });
      other.fastifyUsers.registerCredentialResolver({ name: 'two', resolve: () => (order.push('two'), null) });
      other.fastifyUsers.registerCredentialResolver({ name: 'three', resolve: () => void order.push('three') });
      other.get('/host', { preHandler: other.authenticate }, async () => ({ ok: true }));
      await other.ready();
      const answer = await other.inject({ url: '/host', headers: { 'x-api-key': 'whatever' } });
      assert.equal(answer.statusCode, 401);
      assert.deepEqual(order, ['one', 'two']);
      assert.throws(() => other.fastifyUsers.registerCredentialResolver({ name: 'bad' } as never), /resolve/);
    } finally {
      await other.close();
      dir.cleanup();
    }
  });
});
