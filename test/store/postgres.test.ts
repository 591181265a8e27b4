import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/sql/database.js';
import { migrateToLatest } from '../../src/store/sql/migrations.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { freshDatabase, postgresStore, type FreshDatabase } from '../support/databases.js';
import { postgres } from '../support/services.js';
import { storeConformance } from './conformance.js';
import { secondFactorConformance } from '../features/totp/second-factor-conformance.js';
import { organizationStoreConformance } from '../features/organizations/organization-store-conformance.js';
import { apiKeyConformance } from '../features/api-keys/api-key-conformance.js';
import { emailSignInConformance } from '../features/email-sign-in/store-conformance.js';

const pg = postgres();

const postgresFixture = () => postgresStore(pg.value!);

storeConformance('PostgreSQL', postgresFixture, { skip: pg.skip });
secondFactorConformance('PostgreSQL', postgresFixture, { skip: pg.skip });
organizationStoreConformance('PostgreSQL', postgresFixture, { skip: pg.skip });
apiKeyConformance('PostgreSQL', postgresFixture, { skip: pg.skip });
emailSignInConformance('PostgreSQL', postgresFixture, { skip: pg.skip });

describe('PostgreSQL migrations', { skip: pg.skip }, () => {
  let database: FreshDatabase;
  before(async () => {
    database = await freshDatabase(pg.value!, 'migrate');
  });
  after(async () => database?.drop());

  test('two instances migrating a fresh database at once apply each migration exactly once', async () => {
    // Two separate pools, as two processes would have; Kysely's migrator serialises them with
    // pg_advisory_xact_lock, so the loser sees the migrations done and applies nothing.
    const a = await openDatabase(database.url, { poolSize: 2 });
    const b = await openDatabase(database.url, { poolSize: 2 });
    try {
      const [appliedA, appliedB] = await Promise.all([migrateToLatest(a.db, 'postgres'), migrateToLatest(b.db, 'postgres')]);
      const applied = [...appliedA, ...appliedB].sort();
      assert.deepEqual(applied, [...new Set(applied)], 'no migration applied twice');
      assert.ok(applied.includes('0001_users_and_access_tokens'));
      assert.ok(appliedA.length === 0 || appliedB.length === 0, 'one instance did all the work');
      const { rows } = await database.admin.query('SELECT 1'); // admin still usable
      assert.equal(rows.length, 1);
      const store = new SQLStore(a.db, 'postgres');
      assert.ok(await store.createUser({ email: 'after-migrate@example.com', hashedPassword: 'h' }, new Date()));
      assert.equal(await store.createUser({ email: 'after-migrate@example.com', hashedPassword: 'h' }, new Date()), null);
    } finally {
      await a.db.destroy();
      await b.db.destroy();
    }
  });

  test('migrating again is a no-op', async () => {
    const c = await openDatabase(database.url, { poolSize: 1 });
    try {
      assert.deepEqual(await migrateToLatest(c.db, 'postgres'), []);
    } finally {
      await c.db.destroy();
    }
  });

  test('the pool is bounded by poolSize', async () => {
    const d = await openDatabase(database.url, { poolSize: 3 });
    try {
      const store = new SQLStore(d.db, 'postgres');
      await Promise.all(Array.from({ length: 30 }, () => store.ping()));
      const { rows } = await database.admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [database.name]);
      assert.ok(rows[0].n <= 3, `at most 3 connections, saw ${rows[0].n}`);
    } finally {
      await d.db.destroy();
    }
  });

  test('a connection lost while a request holds it (between two queries) fails that request, not the process', async () => {
    // pg emits 'error' on a checked-out client when its server goes away between queries; the
    // pool only listens on idle clients, so without a listener of ours the process would crash.
    const e = await openDatabase(database.url, { poolSize: 2 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await e.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await database.admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await sleep(300); // the termination notice arrives while no query runs on this client
          await sql`select 1`.execute(trx);
        })
        .then(
          () => 'committed',
          () => 'failed',
        );
      assert.equal(outcome, 'failed');
      assert.deepEqual(uncaught, []);
      const store = new SQLStore(e.db, 'postgres');
      assert.equal(await store.ping().then(() => 'up'), 'up', 'the pool replaced the lost connection');
    } finally {
      process.off('uncaughtException', onUncaught);
      await e.db.destroy();
    }
  });
});
