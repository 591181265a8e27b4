import { hash as bcryptHash } from '@node-rs/bcrypt';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importUsers } from '../../src/cli/import-users.js';
import { readUserSource } from '../../src/cli/user-sources.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { PASSWORD } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

test('import refuses incomplete hashes and costs beyond the bounds, with the line number and without the hash', async () => {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  try {
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const output = 'dGhpcyBpcyB0aGlydHktdHdvIGJ5dGVzIG9mIGhhc2gh';
    const good = await bcryptHash(PASSWORD, 4);
    const csv = join(dir.path, 'users.csv');
    writeFileSync(
      csv,
      [
        'email,hashed_password',
        `good@example.com,${good}`,
        'fake@example.com,"$argon2id$v=19$m=1,t=1,p=1$NOT-A-REAL-HASH"',
        `huge@example.com,"$argon2id$v=19$m=1048576,t=3,p=1$${salt}$${output}"`,
        `slow@example.com,$2b$16$${'a'.repeat(53)}`,
        `django@example.com,"argon2$argon2id$v=19$m=102400,t=2,p=8$${salt}$${output}"`,
      ].join('\n'),
    );
    const summary = await importUsers(store, (await readUserSource(csv)).rows, new Date());
    assert.equal(summary.imported, 2);
    assert.equal(summary.invalid, 3);
    assert.deepEqual(summary.problems, [
      'line 3: hash refused: not a complete argon2 (PHC) or bcrypt hash',
      'line 4: hash refused: argon2 memory m=1048576 KiB is above 262144 KiB',
      'line 5: hash refused: bcrypt cost 16 is above 14',
    ]);
    for (const email of ['fake@example.com', 'huge@example.com', 'slow@example.com']) assert.equal(await store.findUserByEmail(email), null, email);
    assert.ok(await store.findUserByEmail('django@example.com'), "Django's default argon2 parameters are admitted");
  } finally {
    await store.close();
    dir.cleanup();
  }
});
