import BetterSqlite3 from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT } from './e2e/server-process.js';
import { tempDir, TEST_SECRET } from './helpers.js';

function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('CLI', () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  test('migrate creates the schema of docs/migrating-from-fastapi.md and exits 0; a second run is a no-op', () => {
    const path = join(dir.path, 'nested', 'auth.db');
    const first = cli(['migrate'], { DATABASE_URL: `sqlite:${path}` });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^applied 0001_users_and_access_tokens.* to sqlite:/);
    assert.ok(existsSync(path));
    const db = new BetterSqlite3(path, { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").all().map((r) => (r as { name: string }).name);
      assert.ok(tables.includes('users') && tables.includes('access_tokens'), tables.join());
      const userColumns = db.prepare('pragma table_info(users)').all().map((r) => (r as { name: string }).name);
      assert.deepEqual(userColumns, ['id', 'email', 'hashed_password', 'is_active', 'is_superuser', 'is_verified', 'created_at', 'updated_at']);
      const tokenColumns = db.prepare('pragma table_info(access_tokens)').all().map((r) => (r as { name: string }).name);
      for (const column of ['token', 'user_id', 'expiration_date', 'created_at']) assert.ok(tokenColumns.includes(column), column);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    const second = cli(['migrate'], { DATABASE_URL: `sqlite:${path}` });
    assert.equal(second.status, 0);
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
    test(`${label}: one line naming the variable on stderr and a non-zero exit`, () => {
      const result = cli(args, { DATABASE_URL: `sqlite:${join(dir.path, 'bad.db')}`, ...env });
      assert.notEqual(result.status, 0);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, /^configuration error: /);
      assert.match(lines[0]!, variable);
      assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    });
  }

  test('an unknown command prints usage and exits 2', () => {
    const result = cli(['frobnicate'], {});
    assert.equal(result.status, 2);
    assert.match(result.stderr, /unknown command "frobnicate"/);
  });
});
