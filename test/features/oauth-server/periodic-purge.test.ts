import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { createSQLAdapterFactory } from '../../../src/features/oauth-server/sql-adapter.js';
import { fastifyUsers } from '../../../src/http/plugin.js';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { FAST_ARGON2, TEST_SECRET } from '../../support/constants.js';
import { sqliteURL, tempDir } from '../../support/temp.js';

test("the server's periodic purge deletes the provider's expired rows, and only those", async () => {
  const dir = tempDir();
  const store = await SQLStore.open(sqliteURL(dir));
  let clock = new Date('2031-03-01T12:00:00.000Z');
  const app = Fastify({ logger: false });
  try {
    await app.register(fastifyUsers, {
      store,
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      publicUrl: 'http://127.0.0.1:9',
      oauthServer: { enabled: true },
      purgeIntervalSeconds: 1,
      now: () => clock,
    });
    await app.ready();
    const adapter = createSQLAdapterFactory(store.db, store.dialect, { secretKeys: [TEST_SECRET], now: () => clock });
    await adapter('AuthorizationCode').upsert('short-lived-code-value', { jti: 'short-lived-code-value', kind: 'AuthorizationCode' }, 60);
    await adapter('RefreshToken').upsert('long-lived-refresh-value', { jti: 'long-lived-refresh-value', kind: 'RefreshToken' }, 86_400);
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from oauth_server_artifacts`.execute(store.db)).rows[0]!.n);

    await sleep(1500);
    assert.equal(await count(), 2, 'nothing expired yet: nothing purged');
    clock = new Date(clock.getTime() + 61_000);
    const deadline = Date.now() + 5000;
    while ((await count()) !== 1 && Date.now() < deadline) await sleep(100);
    assert.equal(await count(), 1);
    assert.ok(await adapter('RefreshToken').find('long-lived-refresh-value'));
  } finally {
    await app.close();
    await store.close();
    dir.cleanup();
  }
});
