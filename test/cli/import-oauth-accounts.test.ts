import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { importOAuthAccounts } from '../../src/cli/import-oauth-accounts.js';
import { importUsers } from '../../src/cli/import-users.js';
import type { SourceRow } from '../../src/cli/user-sources.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { tempDir } from '../support/temp.js';

const HASH = `$2b$04$${'a'.repeat(53)}`;

test('an import links provider identities only to the users it created, never to an account that was already there', async () => {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  try {
    const now = new Date();
    const victim = (await store.createUser({ email: 'victim@example.com', hashedPassword: HASH, isVerified: true }, now))!;
    const users: SourceRow[] = [
      { where: 'row 1', values: { id: 'u-victim', email: 'Victim@example.com', hashed_password: HASH } },
      { where: 'row 2', values: { id: 'u-new', email: 'new@example.com', hashed_password: HASH } },
    ];
    const links: SourceRow[] = [
      { where: 'row 1', values: { user_id: 'u-victim', oauth_name: 'github', account_id: '1001', account_email: 'attacker@example.com' } },
      { where: 'row 2', values: { user_id: 'u-new', oauth_name: 'github', account_id: '1002', account_email: 'new@example.com' } },
    ];
    const imported = await importUsers(store, users, now);
    assert.equal(imported.imported, 1);
    assert.equal(imported.duplicates, 1);
    const summary = await importOAuthAccounts(store, users, links, imported.createdUserIds, now);
    assert.equal(summary.linked, 1);
    assert.equal(summary.invalid, 1);
    assert.match(summary.problems[0]!, /oauth_account row 1: its user existed before this import/);
    assert.deepEqual(await store.oauthAccounts.listOAuthAccounts(victim.id), []);
    assert.equal(await store.oauthAccounts.findOAuthAccount('github', '1001'), null);
    const created = (await store.findUserByEmail('new@example.com'))!;
    assert.equal((await store.oauthAccounts.findOAuthAccount('github', '1002'))?.userId, created.id);
  } finally {
    await store.close();
    dir.cleanup();
  }
});
