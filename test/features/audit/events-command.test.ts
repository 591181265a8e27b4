import { hash as bcryptHash } from '@node-rs/bcrypt';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { readConfig } from '../../../src/server.js';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { cli } from '../../support/cli.js';
import { freshDatabase } from '../../support/databases.js';
import { postgres } from '../../support/services.js';
import { sqliteURL, tempDir } from '../../support/temp.js';
import { sampleEvent } from './audit-store-conformance.js';

const pg = postgres();
const DAY = 86_400_000;

/**
 * `events export`, `events verify` and the retention of `purge-expired` (docs/audit.md), run as an
 * operator would, on a database edited behind the service's back: a real SQLite file, and
 * PostgreSQL when it is available.
 */
function eventsCommandSuite(name: string, database: () => Promise<{ url: string; cleanup: () => Promise<void> }>, skip: string | false = false) {
  describe(`events export / verify and retention: ${name}`, { skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups) await cleanup();
    });
    /** A database holding `count` events, one a day from `start`, and the CLI's environment for it. */
    const logOf = async (count: number, start = new Date(Date.now() - (count + 1) * DAY)) => {
      const { url, cleanup } = await database();
      const store = await SQLStore.open(url);
      cleanups.push(async () => {
        await store.close();
        await cleanup();
      });
      for (let i = 0; i < count; i++) await store.audit.append(sampleEvent(1, i), new Date(start.getTime() + i * DAY));
      return { store, env: { DATABASE_URL: url } };
    };

    test('export writes JSON lines oldest first with the hashes; --since keeps the later ones', async () => {
      const { env } = await logOf(5, new Date('2030-01-01T00:00:00.000Z'));
      const run = await cli(['events', 'export'], { env });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        lines.map((e) => e.id),
        [1, 2, 3, 4, 5],
      );
      assert.equal(lines[0].prev_hash, '0'.repeat(64));
      assert.equal(lines[1].prev_hash, lines[0].hash);
      assert.deepEqual(lines[0].detail, { method: 'password', amr: ['pwd'] });
      assert.equal(lines[0].at, '2030-01-01T00:00:00.000Z');
      const later = await cli(['events', 'export', '--since', '2030-01-04T00:00:00Z'], { env });
      assert.deepEqual(
        later.stdout
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).id),
        [4, 5],
      );
      const bad = await cli(['events', 'export', '--since', 'last tuesday'], { env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /not a time/);
    });

    test('verify exits 0 on an intact chain, and 1 naming the row edited in the database', async () => {
      const { store, env } = await logOf(6);
      const intact = await cli(['events', 'verify'], { env });
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /verifies: 6 events, ids 1–6/);
      await sql`update audit_events set detail = ${'{"amr":["pwd"],"method":"passkey"}'} where id = 4`.execute(store.db);
      const edited = await cli(['events', 'verify'], { env });
      assert.equal(edited.code, 1);
      assert.match(edited.stderr, /broken at row 4: .*edited/);
    });

    test('verify names the row after one deleted in the database', async () => {
      const { store, env } = await logOf(6);
      await sql`delete from audit_events where id = 2`.execute(store.db);
      const run = await cli(['events', 'verify'], { env });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /broken at row 3: row 2 is missing/);
    });

    test('purge-expired deletes events older than AUDIT_RETENTION_DAYS; verify starts from the oldest kept row', async () => {
      // Ten events, one a day up to yesterday: with 5 days kept, the 6 oldest go.
      const { store, env } = await logOf(10, new Date(Date.now() - 10 * DAY - 3600_000));
      const run = await cli(['purge-expired'], { env: { ...env, AUDIT_RETENTION_DAYS: '5' } });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /pruned 6 security event\(s\) older than 5 days/);
      const verified = await cli(['events', 'verify'], { env });
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /5 events, ids 7–11/);
      const [pruned] = await store.audit.list({ type: 'audit.pruned', limit: 1 });
      assert.equal((pruned!.detail as { through_id: number }).through_id, 6);
      // Deleting the oldest kept row as well is not covered by the recorded boundary.
      await sql`delete from audit_events where id = 7`.execute(store.db);
      const broken = await cli(['events', 'verify'], { env });
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /broken at row 8/);
    });
  });
}

eventsCommandSuite('SQLite file', async () => {
  const dir = tempDir();
  return { url: sqliteURL(dir), cleanup: async () => dir.cleanup() };
});
eventsCommandSuite(
  'PostgreSQL',
  async () => {
    const fresh = await freshDatabase(pg.value!, 'auditcli', { migrated: true });
    return { url: fresh.url, cleanup: () => fresh.drop() };
  },
  pg.skip,
);

test('AUDIT_RETENTION_DAYS reaches the plugin option; a value that is no whole number is refused naming the variable', async () => {
  const retention = (env: Record<string, string>) => (readConfig(env).auth as { auditRetentionDays?: number }).auditRetentionDays;
  assert.equal(retention({ AUDIT_RETENTION_DAYS: '30' }), 30);
  assert.equal(retention({}), undefined);
  const run = await cli(['events', 'verify'], { env: { AUDIT_RETENTION_DAYS: 'x' } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /AUDIT_RETENTION_DAYS/);
});

test('events without export or verify is a usage error', async () => {
  assert.equal((await cli(['events'])).code, 2);
  assert.equal((await cli(['events', 'delete'])).code, 2);
});

test('create-user and revoke-sessions are recorded, with no actor (the operator is not a user) and no address', async () => {
  const dir = tempDir();
  const env = { DATABASE_URL: sqliteURL(dir) };
  try {
    const created = await cli(['create-user', 'cli-root@example.com', '--superuser'], { env, stdin: 'a long enough cli password\n' });
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await cli(['revoke-sessions', 'cli-root@example.com'], { env })).code, 0);
    const lines = (await cli(['events', 'export'], { env })).stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((e) => [e.type, e.actor_user_id, e.ip, e.detail]),
      [
        ['cli.user_created', null, null, { command: 'create-user', is_superuser: true }],
        ['session.revoked', null, null, { scope: 'all', count: 0 }],
      ],
    );
    assert.equal(lines[0].subject_user_id, lines[1].subject_user_id);
  } finally {
    dir.cleanup();
  }
});

test('an import run is one event with its counts, whatever the number of rows', async () => {
  const dir = tempDir();
  const env = { DATABASE_URL: sqliteURL(dir) };
  try {
    // Two rows with a real (bcrypt) hash; the third has none.
    const hash = await bcryptHash('an imported password, long enough', 4);
    const file = join(dir.path, 'users.csv');
    writeFileSync(file, `email,hashed_password\nimported-a@example.com,${hash}\nimported-b@example.com,${hash}\nbroken@example.com,\n`);
    const run = await cli(['import', file], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /imported 2, skipped 0 duplicate\(s\), 1 invalid/);
    const events = (await cli(['events', 'export'], { env })).stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      events.map((e) => [e.type, e.actor_user_id, e.subject_user_id, e.detail]),
      [['cli.users_imported', null, null, { command: 'import', imported: 2, duplicates: 0, invalid: 1, linked: 0 }]],
    );
  } finally {
    dir.cleanup();
  }
});
