import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startServer } from '../support/processes.js';
import { tempDir } from '../support/temp.js';

const curlMissing = spawnSync('curl', ['--version']).status !== 0;
if (curlMissing) console.log('# SKIP curl not installed: the docs/api.md walk-through test needs it');

/** Splits docs/api.md's console transcript into the commands (after `$ `) and what they printed. */
function transcript(): { commands: string; printed: string } {
  const readme = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const block = readme.split('```console\n')[1]!.split('```')[0]!;
  const commands: string[] = [];
  const printed: string[] = [];
  let continued = false;
  for (const line of block.split('\n')) {
    if (line.startsWith('$ ')) {
      commands.push(line.slice(2));
      continued = line.endsWith('\\');
    } else if (continued) {
      commands.push(line);
      continued = line.endsWith('\\');
    } else {
      printed.push(line);
    }
  }
  return { commands: commands.join('\n'), printed: printed.join('\n') };
}

/** What differs between runs (random tokens, dates) and layout (newlines) is left out of the comparison. */
function normalise(text: string): string {
  return text
    .replace(/"access_token":"[A-Za-z0-9_-]{43}"/g, '"access_token":"<token>"')
    .replace(/csrftoken=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43};/g, 'csrftoken=<csrf>;')
    .replace(/token=[A-Za-z0-9_-]{43};/g, 'token=<token>;')
    .replace(/^Date: .*$/gim, 'Date: <date>')
    .replace(/\s+/g, '');
}

describe('docs/api.md: the curl walk-through', { skip: curlMissing && 'curl not installed' }, () => {
  const dir = tempDir();
  after(() => dir.cleanup());

  test('works as printed against the server (npm start), and prints what docs/api.md shows', async () => {
    const { commands, printed } = transcript();
    // docs/api.md shows the default (secure) cookies, as `npm start` sets them.
    const server = await startServer({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, COOKIE_SECURE: 'true' });
    try {
      const script = commands.replaceAll('http://127.0.0.1:8000', server.url);
      const output = execFileSync('bash', ['-c', script], { cwd: dir.path, encoding: 'utf8', timeout: 60_000 });
      assert.equal(normalise(output), normalise(printed));
    } finally {
      await server.stop();
    }
  });
});
