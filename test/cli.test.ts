import BetterSqlite3 from 'better-sqlite3';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cli } from './support/cli.js';
import { TEST_SECRET } from './support/constants.js';
import { tempDir } from './support/temp.js';

describe('CLI', () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  test('migrate creates the schema of docs/migrating-from-fastapi.md and exits 0; a second run is a no-op', async () => {
    const path = join(dir.path, 'nested', 'auth.db');
    const first = await cli(['migrate'], { env: { DATABASE_URL: `sqlite:${path}` } });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied 0001_users_and_access_tokens.* to sqlite:/);
    assert.ok(existsSync(path));
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      const tables = db
        .prepare("select name from sqlite_master where type = 'table'")
        .all()
        .map((r) => (r as { name: string }).name);
      assert.ok(tables.includes('users') && tables.includes('access_tokens'), tables.join());
      const userColumns = db
        .prepare('pragma table_info(users)')
        .all()
        .map((r) => (r as { name: string }).name);
      assert.deepEqual(userColumns, ['id', 'email', 'hashed_password', 'is_active', 'is_superuser', 'is_verified', 'created_at', 'updated_at']);
      const tokenColumns = db
        .prepare('pragma table_info(access_tokens)')
        .all()
        .map((r) => (r as { name: string }).name);
      for (const column of ['token', 'user_id', 'expiration_date', 'created_at']) assert.ok(tokenColumns.includes(column), column);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    const second = await cli(['migrate'], { env: { DATABASE_URL: `sqlite:${path}` } });
    assert.equal(second.code, 0);
    assert.match(second.stdout, /is up to date/);
  });

  const badConfigurations: [string, Record<string, string>, string[], RegExp][] = [
    ['PORT=abc', { PORT: 'abc' }, ['migrate'], /PORT/],
    ['a short SECRET_KEY', { SECRET_KEY: 'too-short' }, ['serve'], /SECRET_KEY/],
    ['NODE_ENV=production without SECRET_KEY', { NODE_ENV: 'production' }, ['serve'], /SECRET_KEY/],
    ['COOKIE_SECURE=maybe', { COOKIE_SECURE: 'maybe', SECRET_KEY: TEST_SECRET }, ['serve'], /COOKIE_SECURE/],
    ['an unknown DATABASE_URL scheme', { DATABASE_URL: 'mysql://localhost/db', SECRET_KEY: TEST_SECRET }, ['serve'], /DATABASE_URL/],
    ['migrate with an unknown DATABASE_URL scheme', { DATABASE_URL: 'mysql://localhost/db' }, ['migrate'], /^configuration error: DATABASE_URL: /],
    ['migrate with an empty sqlite: path', { DATABASE_URL: 'sqlite:' }, ['migrate'], /^configuration error: DATABASE_URL: /],
  ];
  for (const [label, env, args, variable] of badConfigurations) {
    test(`${label}: one line naming the variable on stderr and a non-zero exit`, async () => {
      const result = await cli(args, { env: { DATABASE_URL: `sqlite:${join(dir.path, 'bad.db')}`, ...env } });
      assert.notEqual(result.code, 0);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /^configuration error: /);
      assert.match(lines[0]!, variable);
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  test('an unknown command prints usage and exits 2', async () => {
    const result = await cli(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "frobnicate"/);
  });
});
