import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { tempDir } from '../support/temp.js';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('a new SQLite database: its directories 0700, the database, -wal and -shm files 0600', async () => {
  const dir = tempDir();
  const path = join(dir.path, 'data', 'nested', 'auth.db');
  const store = await SQLStore.open(`sqlite:${path}`);
  try {
    await store.createUser({ email: 'alice@example.com', hashedPassword: 'x' }, new Date());
    for (const file of [`${path}-wal`, `${path}-shm`]) assert.ok(existsSync(file), `${file} exists while the store is open`);
    assert.equal(modeOf(join(dir.path, 'data')), '700');
    assert.equal(modeOf(join(dir.path, 'data', 'nested')), '700');
    assert.equal(modeOf(path), '600');
    assert.equal(modeOf(`${path}-wal`), '600');
    assert.equal(modeOf(`${path}-shm`), '600');
  } finally {
    await store.close();
    dir.cleanup();
  }
});

test('an existing world-readable database file is narrowed to 0600; an existing directory is left alone', async () => {
  const dir = tempDir();
  chmodSync(dir.path, 0o755);
  const path = join(dir.path, 'auth.db');
  writeFileSync(path, '');
  chmodSync(path, 0o644);
  const store = await SQLStore.open(`sqlite:${path}`);
  try {
    assert.equal(modeOf(path), '600');
    assert.equal(modeOf(`${path}-shm`), '600');
    assert.equal(modeOf(dir.path), '755', 'not ours to change');
  } finally {
    await store.close();
    dir.cleanup();
  }
});
