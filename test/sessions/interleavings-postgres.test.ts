/** The session cache's property (test/support/session-interleavings.ts) on one PostgreSQL database, LISTEN/NOTIFY; see test/sessions/interleavings-sqlite.test.ts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { postgres } from '../support/services.js';
import { onPostgres } from '../support/session-deployments.js';
import { checkInterleavings } from '../support/session-interleavings.js';

const pg = postgres();
// A run on PostgreSQL costs a database and waits for heartbeats: fewer runs than on SQLite.
const RUNS = Number(process.env.SESSION_PROPERTY_RUNS ?? 15);

describe('session cache: random interleavings across two instances agree with the database (one PostgreSQL database, LISTEN/NOTIFY)', { skip: pg.skip }, () => {
  test('property', async () => {
    const { runs, hits } = await checkInterleavings(onPostgres, RUNS);
    assert.ok(runs >= 1);
    assert.ok(hits > runs, `the caches answered (${hits} hits in ${runs} runs)`);
  });
});
