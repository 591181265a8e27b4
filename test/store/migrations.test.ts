import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/store/sql/database.js';
import { CodeMigrationProvider, migrateToLatest, SESSION_NOTICE_CHANNEL } from '../../src/store/sql/migrations.js';
import type { Database, Dialect } from '../../src/store/sql/schema.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { freshDatabase } from '../support/databases.js';
import { postgres } from '../support/services.js';
import { sqliteURL, tempDir } from '../support/temp.js';

const pgService = postgres();

/** The names every database has recorded so far: they may never change, nor their order. */
const SHIPPED = [
  '0001_users_and_access_tokens',
  '0002_action_tokens',
  '0003_oauth_accounts',
  '0004_second_factor',
  '0005_session_invalidations',
  '0006_oauth_email_verified',
  '0007_session_authentication',
];

const databases: { name: string; skip: string | false; open: () => Promise<{ url: string; drop: () => Promise<void> }> }[] = [
  {
    name: 'SQLite file',
    skip: false,
    open: async () => {
      const dir = tempDir();
      return { url: sqliteURL(dir), drop: async () => dir.cleanup() };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgService.skip,
    open: async () => {
      const database = await freshDatabase(pgService.value!, 'migrations');
      return { url: database.url, drop: database.drop };
    },
  },
];

for (const database of databases) {
  describe(`migrations, one file each (${database.name})`, { skip: database.skip }, () => {
    test('the provider serves the shipped migrations under their recorded names, in order', async () => {
      const names = Object.keys(await new CodeMigrationProvider('sqlite').getMigrations());
      assert.deepEqual(names.slice(0, SHIPPED.length), SHIPPED);
      assert.deepEqual([...names].sort(), names, 'Kysely applies them in name order');
    });

    test('a database made before the session columns migrates on, its sessions authenticated at sign-in', async () => {
      const { url, drop } = await database.open();
      const { db, dialect } = await openDatabase(url, { poolSize: 2 });
      try {
        const upTo = await new Migrator({ db, provider: new CodeMigrationProvider(dialect) }).migrateTo('0006_oauth_email_verified');
        assert.equal(upTo.error, undefined);
        const signedIn = new Date('2030-01-02T03:04:05.000Z');
        const digest = 'a'.repeat(64);
        await insertOldSession(db, dialect, digest, signedIn);

        const applied = await migrateToLatest(db, dialect);
        assert.ok(applied.includes('0007_session_authentication'), `applied ${applied.join(', ')}`);
        assert.ok(!applied.includes('0006_oauth_email_verified'), 'nothing applied twice');

        const store = new SQLStore(db, dialect);
        const found = await store.findSession(digest, signedIn);
        assert.equal(found?.token.authenticatedAt.toISOString(), signedIn.toISOString());
        assert.equal(found?.token.amr, null);
        assert.deepEqual(await migrateToLatest(db, dialect), []);
      } finally {
        await db.destroy();
        await drop();
      }
    });
  });
}

describe('a re-authentication is announced like the other session changes (SQLite file)', () => {
  test('updating authenticated_at logs the session for the other processes on the file', async () => {
    const dir = tempDir();
    const store = await SQLStore.open(sqliteURL(dir));
    try {
      const now = new Date('2030-01-02T03:04:05.000Z');
      const user = await store.createUser({ email: 'logged@example.com', hashedPassword: 'h' }, now);
      assert.ok(user);
      const digest = 'b'.repeat(64);
      const expiresAt = new Date(now.getTime() + 3_600_000);
      await store.createToken({ digest, userId: user.id, createdAt: now, lastUsedAt: now, expiresAt, userAgent: null, ip: null });
      const before = await logged(store.db, digest);
      await store.touchToken(digest, new Date(now.getTime() + 1000));
      assert.equal(await logged(store.db, digest), before, 'bookkeeping alone is not a change');
      assert.equal(await store.reauthenticateToken(digest, new Date(now.getTime() + 2000)), true);
      assert.equal(await logged(store.db, digest), before + 1);
    } finally {
      await store.close();
      dir.cleanup();
    }
  });
});

describe('a re-authentication is announced like the other session changes (PostgreSQL)', { skip: pgService.skip }, () => {
  test('updating authenticated_at notifies the listening instances; touching last_used_at does not', async () => {
    const database = await freshDatabase(pgService.value!, 'reauth');
    const store = await SQLStore.open(database.url);
    const listener = new pg.Client({ connectionString: database.url });
    try {
      await listener.connect();
      const notices: string[] = [];
      listener.on('notification', (n) => notices.push(n.payload ?? ''));
      await listener.query(`LISTEN ${SESSION_NOTICE_CHANNEL}`);
      const now = new Date('2030-01-02T03:04:05.000Z');
      const user = await store.createUser({ email: 'announced@example.com', hashedPassword: 'h' }, now);
      assert.ok(user);
      const digest = 'c'.repeat(64);
      await store.createToken({
        digest,
        userId: user.id,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        userAgent: null,
        ip: null,
      });
      await store.touchToken(digest, new Date(now.getTime() + 1000));
      assert.equal(await store.reauthenticateToken(digest, new Date(now.getTime() + 2000)), true);
      // Notices arrive at commit, before the answer to a later query on the listening connection.
      await listener.query('select 1');
      assert.deepEqual(notices, [`t:${digest}`]);
    } finally {
      await listener.end();
      await store.close();
      await database.drop();
    }
  });
});

async function logged(db: Kysely<Database>, digest: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from session_invalidations where token = ${digest}`.execute(db);
  return Number(rows[0]!.n);
}

/** A user and a session as the schema before migration 0007 held them (no authenticated_at, no amr). */
async function insertOldSession(db: Kysely<Database>, dialect: Dialect, digest: string, at: Date): Promise<void> {
  const time = dialect === 'postgres' ? at : at.toISOString();
  const old = db as unknown as Kysely<any>;
  const user = await old
    .insertInto('users')
    .values({ email: 'old@example.com', hashed_password: 'h', created_at: time, updated_at: time })
    .returning('id')
    .executeTakeFirstOrThrow();
  const expires = dialect === 'postgres' ? new Date(at.getTime() + 3_600_000) : new Date(at.getTime() + 3_600_000).toISOString();
  await old.insertInto('access_tokens').values({ token: digest, user_id: user.id, expiration_date: expires, created_at: time, last_used_at: time }).execute();
}
