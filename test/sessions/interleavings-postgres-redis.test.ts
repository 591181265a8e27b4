/** The session cache's property (test/support/session-interleavings.ts) on one PostgreSQL database, Redis pub/sub; see test/sessions/interleavings-sqlite.test.ts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postgres, redis } from '../support/services.js';
import { onPostgresWithRedis } from '../support/session-deployments.js';
import { checkInterleavings } from '../support/session-interleavings.js';

const pg = postgres();
const redisService = redis();
// A run on PostgreSQL costs a database and waits for heartbeats: fewer runs than on SQLite.
const RUNS = Number(process.env.SESSION_PROPERTY_RUNS ?? 15);

describe('session cache: random interleavings across two instances agree with the database (one PostgreSQL database, Redis pub/sub)', {
  skip: pg.skip || redisService.skip,
}, () => {
  test('property', async () => {
    const { runs, hits } = await checkInterleavings(onPostgresWithRedis, RUNS);
    assert.ok(runs >= 1);
    assert.ok(hits > runs, `the caches answered (${hits} hits in ${runs} runs)`);
  });
});
