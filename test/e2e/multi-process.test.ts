import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { RedisCounterStore } from '../../src/store/redis/redis-counters.js';
import { PASSWORD, ROOT } from '../support/constants.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { type ServerProcess, SOURCE_NODE_ARGS, sourceModule, startServer } from '../support/processes.js';
import { deleteKeys, uniqueKeyPrefix } from '../support/redis.js';
import { login, registerAndLogin } from '../support/requests.js';
import { postgres, redis } from '../support/services.js';
import { refusedWithin } from '../support/session-cache.js';

const pg = postgres();
const redisService = redis();
const skip = pg.skip || redisService.skip;

const me = (url: string, token: string) => fetch(`${url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
const logout = (url: string, token: string) => fetch(`${url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

/**
 * Increments one Redis counter `times` times, concurrently, from a separate Node process (the
 * store as a server process uses it) and prints the counts it saw as JSON.
 */
async function incrementFromAnotherProcess(redisUrl: string, prefix: string, key: string, times: number): Promise<number[]> {
  const script = `
    import { RedisCounterStore } from ${JSON.stringify(sourceModule('src/store/redis/redis-counters.ts'))};
    const store = new RedisCounterStore(${JSON.stringify(redisUrl)}, { keyPrefix: ${JSON.stringify(prefix)} });
    await store.waitUntilReady();
    const results = await Promise.all(Array.from({ length: ${times} }, () => store.increment(${JSON.stringify(key)}, 900)));
    console.log(JSON.stringify(results.map((r) => r.count)));
    await store.close();
  `;
  const child = spawn(process.execPath, [...SOURCE_NODE_ARGS, '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output);
  return JSON.parse(output) as number[];
}

describe('two server processes on one PostgreSQL and one Redis behave as one service', { skip }, () => {
  let database: FreshDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const prefix = uniqueKeyPrefix('mp');

  before(async () => {
    database = await freshDatabase(pg.value!, 'multi');
    const env = { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4', REDIS_URL: redisService.value!, REDIS_KEY_PREFIX: prefix };
    // Started together: both migrate the fresh database at once (the advisory lock serialises them).
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    if (redisService.value) await deleteKeys(redisService.value, prefix);
  });

  test('both instances started on the same fresh database', async () => {
    assert.notEqual(a.url, b.url);
    assert.equal((await fetch(`${a.url}/health`)).status, 200);
    assert.equal((await fetch(`${b.url}/health`)).status, 200);
  });

  test('a user registered on A exists on B; a token issued by A works on B and the reverse', async () => {
    const tokenFromA = await registerAndLogin(a.url, 'alice@example.com', PASSWORD);
    const onB = await me(b.url, tokenFromA);
    assert.equal(onB.status, 200);
    assert.equal(((await onB.json()) as { email: string }).email, 'alice@example.com');

    const duplicate = await fetch(`${b.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'alice@example.com', password: PASSWORD }),
    });
    assert.equal(duplicate.status, 400, 'B sees the email A registered');

    const tokenFromB = await login(b.url, 'alice@example.com', PASSWORD);
    assert.equal((await me(a.url, tokenFromB)).status, 200);
  });

  test('logout on A is a 401 on A at once and on B within 1 s, though B keeps sessions in memory', async () => {
    const token = await registerAndLogin(a.url, 'bob@example.com', PASSWORD);
    assert.equal((await me(b.url, token)).status, 200, 'B has just seen the session');
    assert.equal((await logout(a.url, token)).status, 204);
    assert.equal((await me(a.url, token)).status, 401);
    await refusedWithin(async () => (await me(b.url, token)).status, performance.now());
  });

  test('concurrent registrations of one email across both instances make one user', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) =>
      fetch(`${(i % 2 === 0 ? a : b).url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'carol@example.com', password: PASSWORD }),
      }).then((r) => r.status),
    );
    const statuses = await Promise.all(attempts);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses}`);
    assert.equal(statuses.filter((s) => s === 400).length, 9);
  });

  test('a Redis counter is shared: two processes incrementing one key count every increment once', async () => {
    // The throttle builds on this store; the sharing is checked with the same store class the
    // servers use, from two separate processes.
    const key = 'shared-counter';
    const [first, second] = await Promise.all([
      incrementFromAnotherProcess(redisService.value!, prefix, key, 25),
      incrementFromAnotherProcess(redisService.value!, prefix, key, 25),
    ]);
    assert.deepEqual(
      [...first, ...second].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const reader = new RedisCounterStore(redisService.value!, { keyPrefix: prefix });
    try {
      await reader.waitUntilReady();
      assert.equal((await reader.get(key)).count, 50);
    } finally {
      await reader.close();
    }
  });

  test('SIGTERM stops both processes cleanly (exit code 0)', async () => {
    assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
    assert.match(a.output(), /shutting down/);
  });
});
