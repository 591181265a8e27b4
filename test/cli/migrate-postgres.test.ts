import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cli } from '../support/cli.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { postgres } from '../support/services.js';

const pg = postgres();

/**
 * Runs `fastify-users migrate` as a deploy pipeline would; resolves with exit code and output. Each
 * run opens its own connection, so two at once contend for the migrator's lock in PostgreSQL itself.
 */
async function migrate(databaseUrl: string): Promise<{ code: number; output: string }> {
  const run = await cli(['migrate'], { env: { NODE_ENV: 'test', DATABASE_URL: databaseUrl } });
  return { code: run.code, output: run.stdout + run.stderr };
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
