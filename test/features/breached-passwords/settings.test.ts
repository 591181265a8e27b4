import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.js';
import { BREACHED_REASON } from '../../../src/features/breached-passwords/breached-screen.js';
import { readConfig } from '../../../src/server.js';
import { cli } from '../../support/cli.js';
import { register } from '../../support/requests.js';
import { buildTestServer } from '../../support/servers.js';
import { tempDir } from '../../support/temp.js';
import { startRangeAPIStandIn } from './range-api-stand-in.js';
import { writeRangeFolder } from './range-fixture.js';

const BREACHED = 'tr0ub4dor and three more words';

describe('BREACHED_PASSWORDS and BREACHED_PASSWORDS_API_URL', () => {
  const dir = tempDir('breached-');
  after(() => dir.cleanup());

  test('unset: off; range-file:<dir> and api map onto the library option', () => {
    assert.equal(readConfig({}).breachedPasswords, undefined);
    assert.deepEqual(readConfig({ BREACHED_PASSWORDS: `range-file:${dir.path}` }).breachedPasswords, { rangeFolder: dir.path });
    assert.deepEqual(readConfig({ BREACHED_PASSWORDS: 'api' }).breachedPasswords, { api: true });
    assert.deepEqual(readConfig({ BREACHED_PASSWORDS: 'api', BREACHED_PASSWORDS_API_URL: 'http://mirror.internal:8080' }).breachedPasswords, {
      api: 'http://mirror.internal:8080',
    });
  });

  test('a bad value is a one-line error naming the variable', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ BREACHED_PASSWORDS: 'yes' }, 'BREACHED_PASSWORDS', /must be "range-file:<dir>" or "api"/],
      [{ BREACHED_PASSWORDS: 'range-file:' }, 'BREACHED_PASSWORDS', /must be/],
      [{ BREACHED_PASSWORDS: `range-file:${join(dir.path, 'absent')}` }, 'BREACHED_PASSWORDS', /is not a folder/],
      [{ BREACHED_PASSWORDS_API_URL: 'https://mirror.internal' }, 'BREACHED_PASSWORDS_API_URL', /only with BREACHED_PASSWORDS=api/],
      [{ BREACHED_PASSWORDS: 'api', BREACHED_PASSWORDS_API_URL: 'ftp://mirror.internal' }, 'BREACHED_PASSWORDS_API_URL', /must start with/],
    ];
    for (const [env, variable, message] of cases) {
      assert.throws(
        () => readConfig(env),
        (error: unknown) => error instanceof ConfigError && error.key === variable && message.test(error.message) && !error.message.includes('\n'),
        JSON.stringify(env),
      );
    }
  });

  test('the server with BREACHED_PASSWORDS=range-file:<dir> refuses a listed password', async () => {
    const folder = join(dir.path, 'ranges');
    mkdirSync(folder);
    writeRangeFolder(folder, { passwords: { [BREACHED]: 5 } });
    const s = await buildTestServer({ BREACHED_PASSWORDS: `range-file:${folder}` });
    try {
      const response = await register(s.app, 'env@example.com', BREACHED);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json(), { detail: BREACHED_REASON, code: 'REGISTER_INVALID_PASSWORD' });
    } finally {
      await s.close();
    }
  });

  test('the server with BREACHED_PASSWORDS=api asks BREACHED_PASSWORDS_API_URL', async () => {
    const api = await startRangeAPIStandIn({ [BREACHED]: 2 });
    const s = await buildTestServer({ BREACHED_PASSWORDS: 'api', BREACHED_PASSWORDS_API_URL: api.url });
    try {
      assert.equal((await register(s.app, 'env@example.com', BREACHED)).statusCode, 400);
      assert.equal(api.requests.length, 1);
    } finally {
      await s.close();
      await api.close();
    }
  });
});

describe('fastify-users check-breached-passwords <dir>', () => {
  const dir = tempDir('breached-');
  after(() => dir.cleanup());

  test('an incomplete folder: exit 1 naming the count and the first missing prefixes and bad names', async () => {
    writeRangeFolder(dir.path, { passwords: {}, filler: 2, extraPrefixes: ['00000', '00002', 'FFFFF'] });
    writeRangeFolder(dir.path, { passwords: {}, filler: 2, extraPrefixes: ['00003'], bare: true });
    mkdirSync(join(dir.path, 'abcde.txt'));
    const run = await cli(['check-breached-passwords', dir.path]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `error: ${dir.path} is incomplete: 1048572 of 1048576 range files missing (first: 00001, 00004, 00005, 00006, 00007, …); 1 entries not named <PREFIX>.txt in upper-case hex (first: abcde.txt)\n`,
    );
  });

  test('no folder, or no argument', async () => {
    assert.equal((await cli(['check-breached-passwords', join(dir.path, 'absent')])).code, 1);
    const usage = await cli(['check-breached-passwords']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /takes one folder/);
  });
});
