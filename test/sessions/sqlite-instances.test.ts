import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LAST_USED_RESOLUTION_MS } from '../../src/core/auth-service.js';
import { testClock } from '../support/apps.js';
import { auth } from '../support/requests.js';
import { buildTestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { bearerToken, register } from '../support/requests.js';
import { cacheOf, me, refusedWithin, runCLI, twoInstancesOnOneFile, userWithTokens, warm } from '../support/session-cache.js';
import { internalsOf } from '../support/internals.js';

describe('session cache on one SQLite file shared by several instances', () => {
  let pair: Awaited<ReturnType<typeof twoInstancesOnOneFile>>;
  before(async () => {
    pair = await twoInstancesOnOneFile();
  });
  after(async () => pair.close());

  test('a logout on A is refused by B within 1 s, although B had the session in memory', async () => {
    const [token] = await userWithTokens(pair.a.app, 'alice@example.com', 1);
    await warm(pair.b.app, token!);
    assert.equal((await pair.a.app.inject({ method: 'POST', url: '/logout', headers: auth(token!) })).statusCode, 204);
    const since = performance.now();
    await refusedWithin(async () => (await me(pair.b.app, token!)).statusCode, since);
  });

  test('a deactivation on A reaches B; an email change too', async () => {
    const [token] = await userWithTokens(pair.a.app, 'bob@example.com', 1);
    const id = (await me(pair.a.app, token!)).json().id;
    await warm(pair.b.app, token!);
    await pair.a.app.fastifyUsers.account.updateUser(id, { email: 'robert@example.com' });
    let since = performance.now();
    await refusedWithin(async () => ((await me(pair.b.app, token!)).json().email === 'robert@example.com' ? 1 : 0), since, 1000, 1);
    await warm(pair.b.app, token!);
    await pair.a.app.fastifyUsers.account.updateUser(id, { isActive: false });
    since = performance.now();
    await refusedWithin(async () => (await me(pair.b.app, token!)).statusCode, since);
  });

  test('a write that bypasses the services (the raw store, like SQL by hand) still reaches both instances', async () => {
    const [token] = await userWithTokens(pair.a.app, 'carol@example.com', 1);
    await warm(pair.a.app, token!);
    await warm(pair.b.app, token!);
    const id = (await me(pair.a.app, token!)).json().id;
    await pair.a.store.deleteUserTokens(id);
    const since = performance.now();
    await refusedWithin(async () => (await me(pair.a.app, token!)).statusCode, since);
    await refusedWithin(async () => (await me(pair.b.app, token!)).statusCode, since);
  });

  test("the CLI (another process) revoking a user's sessions while the servers run", async () => {
    const [token1, token2] = await userWithTokens(pair.a.app, 'dave@example.com', 2);
    await warm(pair.a.app, token1!);
    await warm(pair.b.app, token2!);
    const run = await runCLI(['revoke-sessions', 'Dave@Example.com'], { DATABASE_URL: `sqlite:${pair.path}` });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /revoked 2 session\(s\) of dave@example.com/);
    const since = performance.now();
    await refusedWithin(async () => (await me(pair.a.app, token1!)).statusCode, since);
    await refusedWithin(async () => (await me(pair.b.app, token2!)).statusCode, since);
  });
});

describe('session cache: expiry, bookkeeping, bounds', () => {
  test('absolute expiry holds for a cached session', async () => {
    const clock = testClock();
    const t = await buildTestApp({ now: () => clock.now, accessTokenLifetime: 3600 });
    try {
      const [token] = await userWithTokens(t.app, 'erin@example.com', 1);
      await warm(t.app, token!);
      clock.advance(3599);
      assert.equal((await me(t.app, token!)).statusCode, 200);
      clock.advance(1);
      assert.equal((await me(t.app, token!)).statusCode, 401);
    } finally {
      await t.close();
    }
  });

  test('last_used_at is still written for a session answered from memory, at the same pace', async () => {
    const clock = testClock();
    const t = await buildTestApp({ now: () => clock.now });
    try {
      const [token] = await userWithTokens(t.app, 'frank@example.com', 1);
      await warm(t.app, token!);
      const lastUsed = async () => (await t.app.inject({ method: 'GET', url: '/users/me/sessions', headers: auth(token!) })).json()[0].last_used_at;
      const issued = await lastUsed();
      clock.advance(LAST_USED_RESOLUTION_MS / 1000 - 1);
      await me(t.app, token!);
      assert.equal(await lastUsed(), issued, 'not within the resolution');
      clock.advance(2);
      const hits = cacheOf(t.app).stats.hits;
      await me(t.app, token!);
      assert.equal(cacheOf(t.app).stats.hits, hits + 1, 'answered from memory');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(await lastUsed(), clock.now.toISOString());
    } finally {
      await t.close();
    }
  });

  test('more sessions than SESSION_CACHE_SIZE: the cache stays at its size and every answer is right', async () => {
    const t = await buildTestApp({ sessionCacheSize: 5 });
    try {
      const tokens: { token: string; email: string }[] = [];
      for (let i = 0; i < 4; i += 1) {
        const email = `user${i}@example.com`;
        assert.equal((await register(t.app, email)).statusCode, 201);
        for (let j = 0; j < 5; j += 1) tokens.push({ token: await bearerToken(t.app, email, PASSWORD), email });
      }
      for (let round = 0; round < 2; round += 1) {
        for (const { token, email } of tokens) {
          const response = await me(t.app, token);
          assert.equal(response.statusCode, 200);
          assert.equal(response.json().email, email);
          assert.ok(cacheOf(t.app).size <= 5);
        }
      }
      // Revoke one user's sessions, some cached and some long gone from the cache.
      const id = (await me(t.app, tokens[0]!.token)).json().id;
      await t.app.fastifyUsers.auth.revokeUserTokens(id);
      for (const { token, email } of tokens) {
        assert.equal((await me(t.app, token)).statusCode, email === 'user0@example.com' ? 401 : 200);
      }
      assert.equal(cacheOf(t.app).size, 5);
    } finally {
      await t.close();
    }
  });

  test('SESSION_CACHE off: no cache, every request reads the database', async () => {
    const t = await buildTestApp({ sessionCache: false });
    try {
      assert.equal(internalsOf(t.app).auth.sessions, null);
      const [token] = await userWithTokens(t.app, 'gina@example.com', 1);
      assert.equal((await me(t.app, token!)).statusCode, 200);
      await t.store.deleteToken((await import('../../src/core/token.js')).digestToken(token!));
      assert.equal((await me(t.app, token!)).statusCode, 401, 'even a write around the services is seen at once');
    } finally {
      await t.close();
    }
  });
});
