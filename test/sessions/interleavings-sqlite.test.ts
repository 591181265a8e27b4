/**
 * Random interleavings of logins, requests, logouts, revocations and user changes on two
 * instances, each with its session cache. Every answer is compared with the database's truth:
 * always on the instance that made the last change touching the session, and on the other once
 * it has synced (test/support/session-interleavings.ts). One deployment per file
 * (test/sessions/interleavings-*.test.ts), so the three run side by side; `SESSION_PROPERTY_RUNS`
 * sets the runs of each.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onSQLiteFile } from '../support/session-deployments.js';
import { checkInterleavings } from '../support/session-interleavings.js';

const RUNS = Number(process.env.SESSION_PROPERTY_RUNS ?? 25);

describe('session cache: random interleavings across two instances agree with the database (one SQLite file, change log read by the sync steps)', {
  skip: false,
}, () => {
  test('property', async () => {
    const { runs, hits } = await checkInterleavings(onSQLiteFile, RUNS);
    assert.ok(runs >= 1);
    assert.ok(hits > runs, `the caches answered (${hits} hits in ${runs} runs)`);
  });
});
