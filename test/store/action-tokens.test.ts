import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import type { ActionTokenRecord } from '../../src/core/store.js';
import { postgresStore, sqliteStore, type TestStore } from '../support/databases.js';
import { postgres } from '../support/services.js';

interface Target {
  name: string;
  skip: string | false;
  open(): Promise<TestStore>;
}

const pgService = postgres();

const targets: Target[] = [
  {
    name: 'SQLite',
    skip: false,
    open: sqliteStore,
  },
  {
    name: 'PostgreSQL',
    skip: pgService.skip,
    // A database of our own, dropped afterwards: other files and engineers share the server.
    open: () => postgresStore(pgService.value!, 'action'),
  },
];

for (const target of targets) {
  describe(`action tokens store (${target.name})`, { skip: target.skip }, () => {
    let store: SQLStore;
    let cleanup: () => Promise<void>;
    let userId: number;
    const now = new Date('2030-01-01T00:00:00.000Z');
    const record = (digest: string, purpose: 'reset' | 'verify', expiresInSeconds = 3600): ActionTokenRecord => ({
      digest,
      purpose,
      userId,
      email: 'alice@example.com',
      passwordFingerprint: purpose === 'reset' ? 'f'.repeat(64) : null,
      expiresAt: new Date(now.getTime() + expiresInSeconds * 1000),
      createdAt: now,
    });

    before(async () => {
      ({ store, cleanup } = await target.open());
      userId = (await store.createUser({ email: 'alice@example.com', hashedPassword: 'x' }, now))!.id;
    });
    after(async () => cleanup?.());

    test('stores and finds a token by digest and purpose; the purpose must match', async () => {
      await store.createActionToken(record('a'.repeat(64), 'reset'));
      const found = await store.findActionToken('a'.repeat(64), 'reset');
      assert.deepEqual(found, record('a'.repeat(64), 'reset'));
      assert.equal(await store.findActionToken('a'.repeat(64), 'verify'), null);
    });

    test('consume deletes and returns the record exactly once, even when raced', async () => {
      await store.createActionToken(record('b'.repeat(64), 'verify'));
      const results = await Promise.all(Array.from({ length: 8 }, () => store.consumeActionToken('b'.repeat(64), 'verify')));
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal(await store.findActionToken('b'.repeat(64), 'verify'), null);
    });

    test('purges expired tokens only, and deletes per user and purpose', async () => {
      await store.createActionToken(record('c'.repeat(64), 'verify', -1));
      await store.createActionToken(record('d'.repeat(64), 'verify', 60));
      assert.equal(await store.deleteExpiredActionTokens(now), 1);
      assert.ok(await store.findActionToken('d'.repeat(64), 'verify'));
      assert.equal(await store.deleteUserActionTokens(userId, 'reset'), 1);
      assert.ok(await store.findActionToken('d'.repeat(64), 'verify'));
      assert.equal(await store.deleteUserActionTokens(userId), 1);
    });

    test('deleting the user cascades to their tokens', async () => {
      await store.createActionToken(record('e'.repeat(64), 'reset'));
      await store.deleteUser(userId);
      assert.equal(await store.findActionToken('e'.repeat(64), 'reset'), null);
    });
  });
}
