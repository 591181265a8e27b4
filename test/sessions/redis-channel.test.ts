import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RedisSessionChannel } from '../../src/store/redis/redis-session-channel.js';
import { auth } from '../support/requests.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { tempDir } from '../support/temp.js';
import { postgres, redis } from '../support/services.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { deleteKeys } from '../support/redis.js';
import { startServer, type ServerProcess } from '../support/processes.js';
import { registerAndLogin } from '../support/requests.js';
import { PASSWORD } from '../support/constants.js';
import { cacheOf, eventually, me, refusedWithin, runCLI, userWithTokens, warm } from '../support/session-cache.js';

const redisService = redis();
const pg = postgres();

/** Kills the connection named `name` (ours only: the Redis server is shared), as a network fault would. */
async function killClient(url: string, name: string): Promise<void> {
  const admin = new Redis(url);
  try {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    assert.equal(ids.length, 1, `one client named ${name}`);
    await admin.client('KILL', 'ID', ids[0]!);
  } finally {
    admin.disconnect();
  }
}

/**
 * Two instances whose only channel is Redis pub/sub (as with `REDIS_URL` set): each publishes its
 * own changes and hears the other's; a killed subscriber misses nothing.
 */
describe('session cache over Redis pub/sub', { skip: redisService.skip }, () => {
  const run = randomBytes(6).toString('hex');
  const prefix = `fu-sessions-${run}:`;
  const dir = tempDir();
  const path = join(dir.path, 'auth.db');
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    const channel = (side: string) => new RedisSessionChannel(redisService.value!, { keyPrefix: prefix, connectionName: `fu-test-${run}-${side}` });
    a = await buildTestApp({ sessionChannel: channel('a') }, { path });
    b = await buildTestApp({ sessionChannel: channel('b') }, { path });
    await eventually(() => cacheOf(a.app).trusted && cacheOf(b.app).trusted, 'both subscribed');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    dir.cleanup();
  });

  test('a logout and a deactivation on A are refused by B within 1 s', async () => {
    const [t1, t2] = await userWithTokens(a.app, 'alice@example.com', 2);
    await warm(b.app, t1!);
    assert.equal((await a.app.inject({ method: 'POST', url: '/logout', headers: auth(t1!) })).statusCode, 204);
    await refusedWithin(async () => (await me(b.app, t1!)).statusCode, performance.now());
    await warm(b.app, t2!);
    await a.app.fastifyUsers.account.updateUser((await me(a.app, t2!)).json().id, { isActive: false });
    await refusedWithin(async () => (await me(b.app, t2!)).statusCode, performance.now());
  });

  test("B's subscriber killed (CLIENT KILL) while A revokes: nothing missed, the cache recovers", async () => {
    const [t1, t2, t3] = await userWithTokens(a.app, 'bob@example.com', 3);
    for (const token of [t1!, t2!, t3!]) await warm(b.app, token);
    const clears = cacheOf(b.app).stats.clears;
    await killClient(redisService.value!, `fu-test-${run}-b`);
    assert.equal((await a.app.inject({ method: 'POST', url: '/logout', headers: auth(t1!) })).statusCode, 204);
    await refusedWithin(async () => (await me(b.app, t1!)).statusCode, performance.now());
    await eventually(() => cacheOf(b.app).trusted, 'B subscribed again');
    assert.ok(cacheOf(b.app).stats.clears > clears, 'B emptied its cache before trusting it again');
    await warm(b.app, t2!);
    await warm(b.app, t3!);
    assert.equal((await a.app.inject({ method: 'POST', url: '/logout', headers: auth(t2!) })).statusCode, 204);
    await refusedWithin(async () => (await me(b.app, t2!)).statusCode, performance.now());
    assert.equal((await me(b.app, t3!)).statusCode, 200);
  });
});

describe('servers on PostgreSQL with REDIS_URL: the CLI publishes its changes on Redis', { skip: redisService.skip || pg.skip }, () => {
  const prefix = `fu-sessions-${randomBytes(6).toString('hex')}:`;
  let database: FreshDatabase;
  let server: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    database = await freshDatabase(pg.value!, 'redis_sessions');
    env = { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '2', REDIS_URL: redisService.value!, REDIS_KEY_PREFIX: prefix };
    server = await startServer(env);
  });
  after(async () => {
    await server?.stop();
    await database?.drop();
    if (redisService.value) await deleteKeys(redisService.value, prefix);
  });

  test('revoke-sessions from the CLI is refused by the running server within 1 s', async () => {
    const token = await registerAndLogin(server.url, 'carol@example.com', PASSWORD);
    const status = async () => (await fetch(`${server.url}/users/me`, { headers: auth(token) })).status;
    assert.equal(await status(), 200);
    assert.equal(await status(), 200);
    const run = await runCLI(['revoke-sessions', 'carol@example.com'], env);
    assert.equal(run.code, 0, run.output);
    await refusedWithin(status, performance.now());
  });
});
