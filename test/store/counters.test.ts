import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';
import { ReplyError, type Redis } from 'ioredis';
import { REDIS_FULL_RETRY_AFTER_SECONDS, RedisCounterStore } from '../../src/store/redis/redis-counters.js';
import { CounterStoreFullError } from '../../src/core/store.js';
import { isUnavailableError, StoreUnavailableError } from '../../src/store/unavailable.js';
import { deleteKeys, uniqueKeyPrefix } from '../support/redis.js';
import { redis } from '../support/services.js';
import { counterConformance } from './counter-conformance.js';

const redisService = redis();

counterConformance('memory', async () => {
  const counters = new MemoryCounterStore();
  return { counters, cleanup: () => counters.close() };
});

counterConformance(
  'Redis',
  async () => {
    const prefix = uniqueKeyPrefix('test');
    const counters = new RedisCounterStore(redisService.value!, { keyPrefix: prefix });
    assert.equal(await counters.waitUntilReady(), true);
    return {
      counters,
      cleanup: async () => {
        await counters.close();
        await deleteKeys(redisService.value!, prefix);
      },
    };
  },
  { skip: redisService.skip },
);

describe('MemoryCounterStore specifics', () => {
  test('expiry follows the injected clock', async () => {
    let now = 1_000_000;
    const counters = new MemoryCounterStore({ now: () => now });
    assert.deepEqual(await counters.increment('k', 60), { count: 1, ttlSeconds: 60 });
    now += 59_001;
    assert.deepEqual(await counters.get('k'), { count: 1, ttlSeconds: 1 });
    now += 999;
    assert.deepEqual(await counters.get('k'), { count: 0, ttlSeconds: 0 });
  });
});

describe('RedisCounterStore when Redis is out of memory', () => {
  test('an OOM reply (maxmemory-policy noeviction) is a full store, which the throttle answers with 429', async () => {
    // A client stand-in answering as Redis does when `maxmemory` is reached under noeviction.
    const client = {
      defineCommand: () => {},
      on: () => {},
      fastifyUsersIncrement: async () => {
        throw new ReplyError("OOM command not allowed when used memory > 'maxmemory'.");
      },
    } as unknown as Redis;
    const counters = new RedisCounterStore(client);
    await assert.rejects(counters.increment('k', 60), (error: unknown) => {
      assert.ok(error instanceof CounterStoreFullError);
      assert.equal(error.retryAfterSeconds, REDIS_FULL_RETRY_AFTER_SECONDS);
      return true;
    });
  });
});

describe('RedisCounterStore while Redis is unreachable', () => {
  test('every call fails fast with StoreUnavailableError (fail closed), and close() returns', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));

    const counters = new RedisCounterStore(`redis://127.0.0.1:${port}`, { keyPrefix: 'unreachable:' });
    try {
      assert.equal(await counters.waitUntilReady(300), false);
      for (const call of [() => counters.increment('k', 60), () => counters.get('k'), () => counters.reset('k')]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof StoreUnavailableError);
          assert.equal(error.service, 'counters');
          assert.equal(isUnavailableError(error), true);
          return true;
        });
      }
    } finally {
      await counters.close();
    }
  });
});
