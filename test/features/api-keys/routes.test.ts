import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers, type FastifyUsersOptions } from '../../../src/http/plugin.js';
import { handleError } from '../../../src/http/reply-error.js';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { testClock, type TestClock } from '../../support/apps.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../../support/constants.js';
import { auth, bearerToken, userWithToken } from '../../support/requests.js';
import { cacheOf } from '../../support/session-cache.js';
import { tempDir } from '../../support/temp.js';

// API keys over the plugin's routes (docs/api-keys.md): made once, listed without the key,
// revoked at once, refused beyond their scopes and on every account-management route.

interface KeyApp {
  app: FastifyInstance;
  store: SQLStore;
  path: string;
  clock: TestClock;
  close(): Promise<void>;
}

/** The plugin on a SQLite file with host routes: one for any credential, one per scope, and one telling what authenticated. */
async function keyApp(options: Partial<FastifyUsersOptions> = {}, path?: string): Promise<KeyApp> {
  const dir = path === undefined ? tempDir() : { path: '', cleanup: () => {} };
  const file = path ?? join(dir.path, 'auth.db');
  const store = await SQLStore.open(`sqlite:${file}`);
  const clock = testClock(new Date().toISOString());
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, now: () => clock.now, ...options });
  app.get('/host/whoami', { preHandler: app.authenticate }, async (request) => {
    const session = request.authSession;
    return session.kind === 'api_key'
      ? { kind: session.kind, keyId: session.keyId, scopes: session.scopes, email: session.user.email }
      : { kind: session.kind };
  });
  app.get('/host/invoices', { preHandler: app.requireScopes('invoices:read') }, async () => ({ invoices: [] }));
  app.post('/host/invoices', { preHandler: app.authenticate, config: { requireScopes: ['invoices:write'] } }, async () => ({ ok: true }));
  await app.ready();
  return {
    app,
    store,
    path: file,
    clock,
    close: async () => {
      await app.close();
      await store.close();
      dir.cleanup();
    },
  };
}

const createKey = (app: FastifyInstance, token: string, payload: Record<string, unknown> = { name: 'CI' }) =>
  app.inject({ method: 'POST', url: '/users/me/api-keys', headers: auth(token), payload });

/** Makes a key and returns its JSON (throws when refused). */
async function madeKey(app: FastifyInstance, token: string, payload: Record<string, unknown> = { name: 'CI' }) {
  const response = await createKey(app, token, payload);
  assert.equal(response.statusCode, 201, response.body);
  return response.json() as { id: number; key: string; prefix: string; scopes: string[]; name: string; expires_at: string; created_at: string };
}

const withKey = (app: FastifyInstance, key: string, url = '/users/me', method: 'GET' | 'POST' = 'GET') =>
  app.inject({ method, url, headers: { 'x-api-key': key } });

describe('API keys through the plugin', () => {
  let t: KeyApp;
  before(async () => {
    t = await keyApp();
  });
  after(async () => t.close());

  test('a key is shown once, recognisable, and authenticates as its user by Bearer and by X-API-Key', async () => {
    const token = await userWithToken(t.app, 'make@example.com');
    const response = await createKey(t.app, token, { name: 'deploy bot', scopes: ['invoices:read', 'invoices:read'] });
    assert.equal(response.statusCode, 201);
    assert.equal(response.headers['cache-control'], 'no-store');
    const created = response.json();
    assert.deepEqual(Object.keys(created).sort(), ['created_at', 'expires_at', 'id', 'key', 'name', 'prefix', 'scopes']);
    assert.match(created.key, /^fu_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    assert.ok(created.key.startsWith(`${created.prefix}_`));
    assert.deepEqual(created.scopes, ['invoices:read'], 'scopes deduplicated');
    // 90 days by default.
    assert.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 90 * 86_400_000);
    for (const headers of [auth(created.key), { 'x-api-key': created.key }]) {
      const me = await t.app.inject({ url: '/users/me', headers });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().email, 'make@example.com');
      // No browser session to protect: like a bearer token, a key's answers mint no CSRF cookie.
      assert.equal(me.headers['set-cookie'], undefined);
    }
    const who = await t.app.inject({ url: '/host/whoami', headers: auth(created.key) });
    assert.deepEqual(who.json(), { kind: 'api_key', keyId: String(created.id), scopes: ['invoices:read'], email: 'make@example.com' });
    const list = await t.app.inject({ url: '/users/me/api-keys', headers: auth(token) });
    assert.equal(list.statusCode, 200);
    assert.equal(list.body.includes(created.key.slice(12)), false, 'the list never holds the key');
    assert.deepEqual(
      list.json().map((k: { id: number; prefix: string; name: string }) => [k.id, k.prefix, k.name]),
      [[created.id, created.prefix, 'deploy bot']],
    );
    assert.ok(list.json()[0].last_used_at, 'last_used_at is recorded on first use');
  });

  test('a key acts within its scopes only: 403 insufficient_scope beyond them; no scopes is GET /users/me and unscoped host routes', async () => {
    const token = await userWithToken(t.app, 'scopes@example.com');
    const reader = await madeKey(t.app, token, { name: 'reader', scopes: ['invoices:read'] });
    const bare = await madeKey(t.app, token, { name: 'bare' });
    assert.equal((await withKey(t.app, reader.key, '/host/invoices')).statusCode, 200);
    const write = await withKey(t.app, reader.key, '/host/invoices', 'POST');
    assert.equal(write.statusCode, 403);
    assert.equal(write.json().code, 'INSUFFICIENT_SCOPE');
    assert.match(String(write.headers['www-authenticate']), /error="insufficient_scope"/);
    const bareRead = await withKey(t.app, bare.key, '/host/invoices');
    assert.deepEqual({ s: bareRead.statusCode, c: bareRead.json().code }, { s: 403, c: 'INSUFFICIENT_SCOPE' });
    assert.equal((await withKey(t.app, bare.key, '/host/whoami')).statusCode, 200);
    assert.equal((await withKey(t.app, bare.key)).statusCode, 200);
    // The user's own session holds every scope.
    assert.equal((await t.app.inject({ method: 'POST', url: '/host/invoices', headers: auth(token) })).statusCode, 200);
  });

  test('a key can never make keys or manage the account: 403 on every such route, and nothing changes', async () => {
    const token = await userWithToken(t.app, 'firstparty@example.com');
    const key = (await madeKey(t.app, token, { name: 'all', scopes: ['invoices:read', 'invoices:write'] })).key;
    const attempts: [string, string, unknown][] = [
      ['POST', '/users/me/api-keys', { name: 'child', current_password: PASSWORD }],
      ['GET', '/users/me/api-keys', undefined],
      ['DELETE', '/users/me/api-keys/1', undefined],
      ['PATCH', '/users/me', { password: 'another long password 123', current_password: PASSWORD }],
      ['PATCH', '/users/me', { email: 'taken-over@example.com', current_password: PASSWORD }],
      ['DELETE', '/users/me', { current_password: PASSWORD }],
      ['POST', '/users/me/reauthenticate', { current_password: PASSWORD }],
      ['GET', '/users/me/sessions', undefined],
      ['DELETE', '/users/me/sessions', undefined],
      ['POST', '/users/me/totp', undefined],
      ['POST', '/users/me/passkeys/options', { current_password: PASSWORD }],
      ['POST', '/logout', undefined],
    ];
    for (const headers of [auth(key), { 'x-api-key': key }]) {
      for (const [method, url, payload] of attempts) {
        const response = await t.app.inject({ method: method as 'GET', url, headers, payload: payload as object });
        assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
        assert.equal(response.json().code, 'FIRST_PARTY_SESSION_REQUIRED');
      }
    }
    assert.equal((await bearerToken(t.app, 'firstparty@example.com')).length, 43, 'the password is unchanged');
    const list = await t.app.inject({ url: '/users/me/api-keys', headers: auth(token) });
    assert.equal(list.json().length, 1, 'no key was made by the key');
    assert.equal((await withKey(t.app, key)).statusCode, 200, 'the key itself still works');
  });

  test('the owner is the session, never the body: a user_id (or userId) in the body is ignored', async () => {
    const victim = await userWithToken(t.app, 'victim@example.com');
    const victimId = (await t.app.inject({ url: '/users/me', headers: auth(victim) })).json().id;
    const attacker = await userWithToken(t.app, 'attacker@example.com');
    const created = await madeKey(t.app, attacker, { name: 'x', user_id: victimId, userId: victimId, user: { id: victimId }, org_id: 1 });
    assert.equal((await withKey(t.app, created.key)).json().email, 'attacker@example.com');
    assert.deepEqual((await t.app.inject({ url: '/users/me/api-keys', headers: auth(victim) })).json(), []);
    // Nor can an anonymous request make a key for anyone.
    const anonymous = await t.app.inject({ method: 'POST', url: '/users/me/api-keys', payload: { name: 'x', user_id: victimId } });
    assert.equal(anonymous.statusCode, 401);
  });

  test('making a key needs a recent authentication, or the current password', async () => {
    const token = await userWithToken(t.app, 'recent@example.com');
    t.clock.advance(601);
    try {
      const stale = await createKey(t.app, token, { name: 'late' });
      assert.deepEqual({ s: stale.statusCode, c: stale.json().code }, { s: 403, c: 'REAUTHENTICATION_REQUIRED' });
      const wrong = await createKey(t.app, token, { name: 'late', current_password: 'not the password at all' });
      assert.equal(wrong.statusCode, 401);
      assert.equal((await t.app.inject({ url: '/users/me/api-keys', headers: auth(token) })).json().length, 0);
      assert.equal((await createKey(t.app, token, { name: 'late', current_password: PASSWORD })).statusCode, 201);
    } finally {
      t.clock.advance(-601);
    }
  });

  test('a revoked key is refused at once, though its user was cached; another user cannot revoke it (404)', async () => {
    const token = await userWithToken(t.app, 'revoke@example.com');
    const other = await userWithToken(t.app, 'other@example.com');
    const created = await madeKey(t.app, token);
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    const hits = cacheOf(t.app).stats.hits;
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    assert.equal(cacheOf(t.app).stats.hits, hits + 1, 'the key was answered from the session cache');
    const foreign = await t.app.inject({ method: 'DELETE', url: `/users/me/api-keys/${created.id}`, headers: auth(other) });
    assert.deepEqual({ s: foreign.statusCode, c: foreign.json().code }, { s: 404, c: 'API_KEY_NOT_FOUND' });
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/users/me/api-keys/${created.id}`, headers: auth(token) });
    assert.equal(revoked.statusCode, 204);
    const refused = await withKey(t.app, created.key);
    assert.deepEqual({ s: refused.statusCode, c: refused.json().code }, { s: 401, c: 'NOT_AUTHENTICATED' });
    assert.equal((await t.app.inject({ url: '/users/me', headers: auth(created.key) })).statusCode, 401);
    const again = await t.app.inject({ method: 'DELETE', url: `/users/me/api-keys/${created.id}`, headers: auth(token) });
    assert.equal(again.statusCode, 404);
    assert.deepEqual((await t.app.inject({ url: '/users/me/api-keys', headers: auth(token) })).json(), []);
  });

  test('an expired key is refused, cached or not', async () => {
    const token = await userWithToken(t.app, 'expiry@example.com');
    const created = await madeKey(t.app, token, { name: 'short', expires_in: 60 });
    assert.equal(Date.parse(created.expires_at) - Date.parse(created.created_at), 60_000);
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    t.clock.advance(60);
    try {
      assert.equal((await withKey(t.app, created.key)).statusCode, 401, 'refused at its expiry, from the cache');
      cacheOf(t.app).clear();
      assert.equal((await withKey(t.app, created.key)).statusCode, 401, 'and from the database');
    } finally {
      t.clock.advance(-60);
    }
  });

  test('keys die with their user, and stop with a deactivation', async () => {
    const token = await userWithToken(t.app, 'leaving@example.com');
    const created = await madeKey(t.app, token);
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    const deleted = await t.app.inject({ method: 'DELETE', url: '/users/me', headers: auth(token), payload: { current_password: PASSWORD } });
    assert.equal(deleted.statusCode, 204);
    assert.equal((await withKey(t.app, created.key)).statusCode, 401);
    const rows = await t.store.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).execute();
    assert.deepEqual(rows, [], 'the row went with the user');

    const second = await userWithToken(t.app, 'deactivated@example.com');
    const key = (await madeKey(t.app, second)).key;
    assert.equal((await withKey(t.app, key)).statusCode, 200);
    const user = (await withKey(t.app, key)).json();
    await t.app.fastifyUsers.account.updateUser(user.id, { isActive: false });
    assert.equal((await withKey(t.app, key)).statusCode, 401);
  });

  test('the key is nowhere in the SQLite file, only its digest', async () => {
    const token = await userWithToken(t.app, 'bytes@example.com');
    const created = await madeKey(t.app, token, { name: 'bytes' });
    assert.equal((await withKey(t.app, created.key)).statusCode, 200);
    const secret = created.key.slice(created.prefix.length + 1);
    const files = [t.path, `${t.path}-wal`].filter(existsSync).map((file) => readFileSync(file));
    assert.ok(files.length > 0);
    for (const bytes of files) {
      assert.equal(bytes.includes(Buffer.from(created.key)), false);
      assert.equal(bytes.includes(Buffer.from(secret)), false);
    }
    // The file does hold what it should: the prefix (shown in lists).
    assert.ok(files.some((bytes) => bytes.includes(Buffer.from(created.prefix))));
  });

  test('bad input is a 422 that makes nothing; ids of others and garbage keys are refused', async () => {
    const token = await userWithToken(t.app, 'input@example.com');
    for (const payload of [
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: 'a\u0000b' },
      { name: 'x', scopes: 'invoices:read' },
      { name: 'x', scopes: ['has space'] },
      { name: 'x', scopes: ['quote"'] },
      { name: 'x', scopes: Array.from({ length: 33 }, (_, i) => `s${i}`) },
      { name: 'x', expires_in: 10 },
      { name: 'x', expires_in: 367 * 86_400 },
      { name: 'x', expires_in: 'soon' },
    ]) {
      const response = await createKey(t.app, token, payload);
      assert.equal(response.statusCode, 422, `${JSON.stringify(payload)}: ${response.body}`);
    }
    assert.deepEqual((await t.app.inject({ url: '/users/me/api-keys', headers: auth(token) })).json(), []);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/users/me/api-keys/abc', headers: auth(token) })).statusCode, 422);
    for (const value of ['fu_00000000_' + 'A'.repeat(43), 'fu_', 'fu_zz_zz', 'x'.repeat(500)]) {
      assert.equal((await withKey(t.app, value)).statusCode, 401, value);
      assert.equal((await t.app.inject({ url: '/users/me', headers: auth(value) })).statusCode, 401, value);
    }
  });

  test('at most 100 live keys per user', async () => {
    const token = await userWithToken(t.app, 'many@example.com');
    for (let i = 0; i < 100; i += 1) await madeKey(t.app, token, { name: `k${i}` });
    const refused = await createKey(t.app, token, { name: 'one too many' });
    assert.deepEqual({ s: refused.statusCode, c: refused.json().code }, { s: 400, c: 'API_KEY_LIMIT_REACHED' });
  });
});

describe('API keys across two instances on one SQLite file', () => {
  let a: KeyApp;
  let b: KeyApp;
  before(async () => {
    a = await keyApp();
    b = await keyApp({}, a.path);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('a key revoked on A is refused by B within 1 s, though B had it in memory', async () => {
    const token = await userWithToken(a.app, 'two@example.com');
    const created = await madeKey(a.app, token);
    assert.equal((await withKey(b.app, created.key)).statusCode, 200);
    const hits = cacheOf(b.app).stats.hits;
    assert.equal((await withKey(b.app, created.key)).statusCode, 200);
    assert.equal(cacheOf(b.app).stats.hits, hits + 1);
    const since = performance.now();
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/users/me/api-keys/${created.id}`, headers: auth(token) })).statusCode, 204);
    for (;;) {
      const status = (await withKey(b.app, created.key)).statusCode;
      if (status === 401) break;
      assert.ok(performance.now() - since < 1000, 'B still admitted the key a second after its revocation');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
