import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildServer, readConfig } from '../../src/server.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { cli } from '../support/cli.js';
import { TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

// better-sqlite3 made unresolvable in this process only: a library user on PostgreSQL, who did
// not install the optional peer (docs/operations.md, "Installing the package").
register('./hide-packages-hooks.mjs', import.meta.url, { data: { hidden: ['better-sqlite3'] } });

const INSTALL = 'sqlite: needs the optional package "better-sqlite3": npm install better-sqlite3@12';

describe('better-sqlite3 not installed', () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  test('SQLStore.open of a sqlite: URL names the package to install and creates no file', async () => {
    const path = join(dir.path, 'library.db');
    await assert.rejects(SQLStore.open(`sqlite:${path}`), { name: 'ConfigError', message: `databaseUrl: ${INSTALL}` });
    await assert.rejects(SQLStore.open('sqlite::memory:'), { name: 'ConfigError', message: `databaseUrl: ${INSTALL}` });
    assert.equal(existsSync(path), false);
  });

  test('the server and the bin stop with one line naming DATABASE_URL and the package', async () => {
    const env = { NODE_ENV: 'test', SECRET_KEY: TEST_SECRET, DATABASE_URL: `sqlite:${join(dir.path, 'server.db')}` };
    await assert.rejects(buildServer(readConfig(env), { logger: false }), { message: `DATABASE_URL: ${INSTALL}` });
    for (const command of ['migrate', 'serve']) {
      const run = await cli([command], { env });
      assert.equal(run.code, 1, command);
      assert.equal(run.stderr, `configuration error: DATABASE_URL: ${INSTALL}\n`, command);
    }
  });

  test('an import from a SQLite file names the package too', async () => {
    const run = await cli(['import', `sqlite:${join(dir.path, 'old.db')}`], {
      env: { NODE_ENV: 'test', SECRET_KEY: TEST_SECRET, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /needs the optional package "better-sqlite3": npm install better-sqlite3@12/);
  });
});
