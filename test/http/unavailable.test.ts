import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { handleError } from '../../src/http/reply-error.js';
import { buildServer, readConfig } from '../../src/server.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counters.js';
import { isUnavailableError, StoreUnavailableError } from '../../src/store/unavailable.js';
import { TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const withCode = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('backing-service failures become 503 SERVICE_UNAVAILABLE', () => {
  const unavailable: Array<[string, unknown]> = [
    ['socket refused', withCode('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:5432')],
    ['socket reset', withCode('ECONNRESET')],
    ['admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['cannot_connect_now', withCode('57P03')],
    ['too_many_connections', withCode('53300')],
    ['connection_exception class 08', withCode('08006')],
    ['database refuses connections', withCode('55000', 'database "x" is not currently accepting connections')],
    ['pg: terminated', new Error('Connection terminated unexpectedly')],
    ['pg pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['SQLite busy', withCode('SQLITE_BUSY')],
    ['SQLite I/O', withCode('SQLITE_IOERR_WRITE')],
    ['SQLite cannot open', withCode('SQLITE_CANTOPEN')],
    ['typed', new StoreUnavailableError('database', new Error('x'))],
    ['aggregate', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ];
  const notUnavailable: Array<[string, unknown]> = [
    ['syntax error', withCode('42601', 'syntax error at or near "SELEC"')],
    ['unique violation', withCode('23505')],
    ['SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['plain bug', new TypeError('x is undefined')],
    ['a string', 'ECONNREFUSED'],
  ];

  for (const [name, error] of unavailable) {
    test(`${name} is classified unavailable`, () => assert.equal(isUnavailableError(error), true));
  }
  for (const [name, error] of notUnavailable) {
    test(`${name} is not`, () => assert.equal(isUnavailableError(error), false));
  }

  test('over HTTP: 503, Retry-After, the generic body; a bug stays a generic 500', async () => {
    const app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    app.get('/down', async () => {
      throw withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432 (pg)');
    });
    app.get('/bug', async () => {
      throw withCode('42601', 'syntax error at or near "SELEC"');
    });
    const down = await app.inject('/down');
    assert.equal(down.statusCode, 503);
    assert.match(String(down.headers['retry-after']), /^[1-9]\d*$/);
    assert.deepEqual(down.json(), { detail: 'The service is temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
    const bug = await app.inject('/bug');
    assert.equal(bug.statusCode, 500);
    assert.equal(bug.headers['retry-after'], undefined);
    assert.doesNotMatch(bug.body, /SELEC|syntax/);
    await app.close();
  });

  test('a throttle on an unreachable Redis fails closed: 503 with Retry-After, not a pass', async () => {
    const counters = new RedisCounterStore(`redis://127.0.0.1:${await closedPort()}`);
    const app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    app.post('/throttled', async () => {
      const { count } = await counters.increment('login:someone', 900);
      return { allowed: count <= 5 };
    });
    try {
      const response = await app.inject({ method: 'POST', url: '/throttled' });
      assert.equal(response.statusCode, 503);
      assert.ok(response.headers['retry-after']);
      assert.equal(response.json().code, 'SERVICE_UNAVAILABLE');
    } finally {
      await app.close();
      await counters.close();
    }
  });
});

describe('server wiring of REDIS_URL and the database', () => {
  test('with Redis down at start the server still starts, answers /health, and closes promptly', async () => {
    const dir = tempDir();
    const config = readConfig({
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
      REDIS_URL: `redis://127.0.0.1:${await closedPort()}`,
      SECRET_KEY: TEST_SECRET,
    });
    const app = await buildServer(config, { logger: false });
    try {
      assert.equal((await app.inject('/health')).statusCode, 200);
    } finally {
      await app.close();
      dir.cleanup();
    }
  });

  test('DATABASE_POOL_SIZE and REDIS_KEY_PREFIX are read; a bad pool size names the variable', () => {
    const config = readConfig({ DATABASE_POOL_SIZE: '3', REDIS_KEY_PREFIX: 'app1:' });
    assert.equal(config.databasePoolSize, 3);
    assert.equal(config.redisKeyPrefix, 'app1:');
    assert.equal(readConfig({}).databasePoolSize, 10);
    assert.throws(() => readConfig({ DATABASE_POOL_SIZE: '0' }), /DATABASE_POOL_SIZE/);
    assert.throws(() => readConfig({ DATABASE_POOL_SIZE: 'many' }), /DATABASE_POOL_SIZE/);
  });

  test('ARGON2_* tuning: stronger is accepted, below OWASP only with NODE_ENV=test', () => {
    assert.deepEqual(readConfig({ ARGON2_MEMORY_COST: '47104', ARGON2_TIME_COST: '1' }).auth.argon2, { memoryCost: 47104, timeCost: 1 });
    assert.deepEqual(readConfig({ ARGON2_TIME_COST: '3' }).auth.argon2, { timeCost: 3 });
    assert.equal(readConfig({}).auth.argon2, undefined);
    assert.throws(() => readConfig({ ARGON2_MEMORY_COST: '256' }), /ARGON2_MEMORY_COST/);
    assert.throws(() => readConfig({ ARGON2_MEMORY_COST: '19456', ARGON2_TIME_COST: '1' }), /ARGON2_TIME_COST/);
    assert.throws(() => readConfig({ NODE_ENV: 'production', SECRET_KEY: TEST_SECRET, ARGON2_MEMORY_COST: '1024' }), /ARGON2_MEMORY_COST/);
    assert.deepEqual(readConfig({ NODE_ENV: 'test', ARGON2_MEMORY_COST: '256', ARGON2_TIME_COST: '1' }).auth.argon2, { memoryCost: 256, timeCost: 1 });
  });

  test('an invalid ARGON2_PARALLELISM stops the server with an error naming the variable', async () => {
    const config = readConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', ARGON2_PARALLELISM: '0', SECRET_KEY: TEST_SECRET });
    await assert.rejects(buildServer(config, { logger: false }), /^ConfigError: ARGON2_PARALLELISM: /);
  });
});
