/**
 * The one run of the real `fastify-users` command (every other CLI test calls runCLI in-process,
 * test/support/cli.ts): the entry file, its argument and stream wiring, and a real terminal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { PASSWORD, ROOT } from '../support/constants.js';
import { SOURCE_CLI } from '../support/processes.js';
import { sqliteURL, tempDir } from '../support/temp.js';

describe('the real CLI process', () => {
  const dir = tempDir();
  const databaseUrl = sqliteURL(dir);
  after(() => dir.cleanup());

  const noPty = existsSync('/usr/bin/script') ? false : 'util-linux `script` (a pseudo-terminal) is not installed';
  test('create-user on a terminal prompts twice and never echoes the password', { skip: noPty, timeout: 120_000 }, async () => {
    // `script` gives the CLI a real pseudo-terminal; the password is typed only once each prompt shows.
    const child = spawn('script', ['-qec', [process.execPath, ...SOURCE_CLI, 'create-user', 'tty@example.com'].join(' '), '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let typed = 0;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const prompts = (output.match(/Password for tty@example\.com: |Repeat password: /g) ?? []).length;
      while (typed < prompts) {
        typed += 1;
        child.stdin.write(`${PASSWORD}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, output);
    assert.equal(typed, 2, 'asked twice');
    assert.match(output, /created user tty@example\.com/);
    assert.ok(!output.includes(PASSWORD), 'the terminal never showed the password');
    const store = await SQLStore.open(databaseUrl, { migrate: false });
    try {
      assert.ok(await store.findUserByEmail('tty@example.com'), 'the account is in the database the environment named');
    } finally {
      await store.close();
    }
  });
});
