import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { digestToken, generateToken } from '../../src/core/token.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { postgresStore, type TestStore } from '../support/databases.js';
import { postgres } from '../support/services.js';
import { sqliteURL, tempDir } from '../support/temp.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

/** A user with one live and one expired token; returns their digests. */
async function seed(store: SQLStore) {
  const user = (await store.createUser({ email: `u${randomBytes(4).toString('hex')}@example.com`, hashedPassword: 'h' }, NOW))!;
  const live = digestToken(generateToken());
  const expired = digestToken(generateToken());
  for (const [digest, expiresAt] of [
    [live, new Date(NOW.getTime() + HOUR)],
    [expired, new Date(NOW.getTime() - 1)],
  ] as const) {
    await store.createToken({ digest, userId: user.id, createdAt: NOW, lastUsedAt: NOW, expiresAt, userAgent: 'ua', ip: '127.0.0.1' });
  }
  return { user, live, expired };
}

describe('findSession on a SQLite file (prepared statement on a read connection)', () => {
  const dir = tempDir();
  let store: SQLStore;
  let generic: SQLStore;
  before(async () => {
    store = await SQLStore.open(sqliteURL(dir));
    // Same database through Kysely only (what :memory: and PostgreSQL use): the reference result.
    generic = new SQLStore(store.db, 'sqlite');
  });
  after(async () => {
    await store.close();
    dir.cleanup();
  });

  test('returns exactly what the Kysely query returns', async () => {
    const { user, live } = await seed(store);
    const fast = await store.findSession(live, NOW);
    assert.ok(fast);
    assert.deepEqual(fast, await generic.findSession(live, NOW));
    assert.deepEqual(fast.user, user);
    assert.equal(fast.token.digest, live);
    assert.equal(fast.token.userAgent, 'ua');
    assert.deepEqual(fast.token.expiresAt, new Date(NOW.getTime() + HOUR));
  });

  test('expired and unknown tokens are not found', async () => {
    const { expired } = await seed(store);
    assert.equal(await store.findSession(expired, NOW), null);
    assert.equal(await store.findSession(digestToken(generateToken()), NOW), null);
  });

  test('sees a revocation and a user change at once', async () => {
    const { user, live } = await seed(store);
    assert.ok(await store.findSession(live, NOW));
    await store.updateUser(user.id, { isActive: false }, NOW);
    assert.equal((await store.findSession(live, NOW))?.user.isActive, false);
    assert.equal(await store.deleteToken(live), true);
    assert.equal(await store.findSession(live, NOW), null);
  });

  test('reads committed state only: a deletion inside an open transaction is not seen until commit', async () => {
    const { live } = await seed(store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let deleted!: () => void;
    const didDelete = new Promise<void>((resolve) => (deleted = resolve));
    const transaction = store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('access_tokens').where('token', '=', live).execute();
      deleted();
      await held;
    });
    await didDelete;
    assert.ok(await store.findSession(live, NOW), 'the uncommitted deletion must not be visible');
    release();
    await transaction;
    assert.equal(await store.findSession(live, NOW), null);
  });
});

describe('findSession on :memory: (compiled Kysely query)', () => {
  test('finds live tokens only', async () => {
    const store = await SQLStore.open('sqlite::memory:');
    try {
      const { user, live, expired } = await seed(store);
      assert.deepEqual((await store.findSession(live, NOW))?.user, user);
      assert.equal(await store.findSession(expired, NOW), null);
    } finally {
      await store.close();
    }
  });
});

const pgService = postgres();
describe('findSession on PostgreSQL (compiled Kysely query)', { skip: pgService.skip }, () => {
  let opened: TestStore;
  let store: SQLStore;
  before(async () => {
    opened = await postgresStore(pgService.value!, 'session');
    store = opened.store;
  });
  after(async () => opened?.cleanup());

  test('finds live tokens only, with the same fields as SQLite', async () => {
    const { user, live, expired } = await seed(store);
    const found = await store.findSession(live, NOW);
    assert.deepEqual(found?.user, user);
    assert.deepEqual(found?.token.expiresAt, new Date(NOW.getTime() + HOUR));
    assert.equal(await store.findSession(expired, NOW), null);
  });
});
