import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { after, before, describe, test } from 'node:test';
import { auth } from '../support/requests.js';
import { postgres } from '../support/services.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { SESSION_LISTENER_APPLICATION_NAME } from '../../src/store/sql/pg-session-listener.js';
import { cacheOf, eventually, me, pluginApp, refusedWithin, userWithTokens, warm } from '../support/session-cache.js';

const pg = postgres();

/**
 * The change channel fails while revocations happen: none is missed (the instance reads the
 * database while it is unsure), and the cache comes back, empty, once the channel does.
 */
describe('session cache: the LISTEN connection terminated by the server', { skip: pg.skip }, () => {
  let database: FreshDatabase;
  let a: FastifyInstance;
  let b: FastifyInstance;

  before(async () => {
    database = await freshDatabase(pg.value!, 'faults', { migrated: true });
    a = await pluginApp({ databaseUrl: database.url });
    b = await pluginApp({ databaseUrl: database.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  test('pg_terminate_backend on the listeners: revocations made meanwhile are honoured, the cache recovers', async () => {
    const [t1, t2, t3] = await userWithTokens(a, 'alice@example.com', 3);
    for (const token of [t1!, t2!, t3!]) await warm(b, token);
    const clears = cacheOf(b).stats.clears;

    const killed = await database.admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2', [
      database.name,
      SESSION_LISTENER_APPLICATION_NAME,
    ]);
    assert.equal(killed.rowCount, 2, 'one listener per instance');
    // Revoked while B's channel is down or reconnecting: B never hears of it by notice.
    assert.equal((await a.inject({ method: 'POST', url: '/logout', headers: auth(t1!) })).statusCode, 204);
    await refusedWithin(async () => (await me(b, t1!)).statusCode, performance.now());

    await eventually(() => cacheOf(b).trusted, 'B listens again');
    assert.ok(cacheOf(b).stats.clears > clears, 'B emptied its cache before trusting it again');
    assert.equal((await me(b, t1!)).statusCode, 401);
    await warm(b, t2!);
    await warm(b, t3!);
    assert.equal((await a.inject({ method: 'POST', url: '/logout', headers: auth(t2!) })).statusCode, 204);
    await refusedWithin(async () => (await me(b, t2!)).statusCode, performance.now());
    assert.equal((await me(b, t3!)).statusCode, 200);
  });

  test('while the listener is down the instance answers from the database, not from memory', async () => {
    const [token] = await userWithTokens(a, 'bob@example.com', 1);
    await warm(b, token!);
    // Refuse new listeners for a while, so the outage lasts.
    await database.admin.query(`alter database ${database.name} allow_connections false`);
    try {
      await database.admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = $2', [
        database.name,
        SESSION_LISTENER_APPLICATION_NAME,
      ]);
      await eventually(() => !cacheOf(b).trusted, 'B notices the loss');
      const hits = cacheOf(b).stats.hits;
      assert.equal((await me(b, token!)).statusCode, 200, "the pool's connections still serve");
      assert.equal(cacheOf(b).stats.hits, hits, 'not from memory');
    } finally {
      await database.admin.query(`alter database ${database.name} allow_connections true`);
    }
    await eventually(() => cacheOf(b).trusted, 'B listens again');
    await warm(b, token!);
  });
});
