import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { postgres } from '../services.js';
import { freshDatabase, type FreshDatabase } from '../store/pg-database.js';

const pg = postgres();

/** Runs `fastify-users migrate` as a deploy pipeline would; resolves with exit code and output. */
async function migrate(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, output };
}

describe('the migrate command on PostgreSQL', { skip: pg.skip }, () => {
  let database: FreshDatabase;
  before(async () => {
    database = await freshDatabase(pg.value!, 'cli');
  });
  after(async () => database?.drop());

  test('two pipelines migrating one fresh database at once: one applies, the other finds it done', async () => {
    const [first, second] = await Promise.all([migrate(database.url), migrate(database.url)]);
    assert.equal(first.code, 0, first.output);
    assert.equal(second.code, 0, second.output);
    const outputs = [first.output, second.output];
    assert.equal(outputs.filter((o) => /applied 0001_users_and_access_tokens/.test(o)).length, 1, outputs.join('\n'));
    assert.equal(outputs.filter((o) => /is up to date/.test(o)).length, 1, outputs.join('\n'));
    // The URL is printed with its user and password masked.
    for (const output of outputs) assert.doesNotMatch(output, /postgres@/);
  });

  test('a database that cannot be reached is a one-line error and a non-zero exit', async () => {
    const url = new URL(database.url);
    url.pathname = `/${database.name}_missing`;
    const result = await migrate(url.toString());
    assert.notEqual(result.code, 0);
    assert.match(result.output, /^fatal: /m);
    assert.doesNotMatch(result.output, /\n\s+at /, 'no stack trace');
  });
});
