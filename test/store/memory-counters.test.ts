import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';
import { CounterStoreFullError } from '../../src/core/store.js';

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

describe('MemoryCounterStore', () => {
  test('increment counts within a window and reports the seconds left', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now });
    assert.deepEqual(await store.increment('k', 60), { count: 1, ttlSeconds: 60 });
    c.advance(10);
    assert.deepEqual(await store.increment('k', 60), { count: 2, ttlSeconds: 50 });
    assert.deepEqual(await store.get('k'), { count: 2, ttlSeconds: 50 });
  });

  test('a window expires: the count starts again (never permanent)', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now });
    await store.increment('k', 60);
    await store.increment('k', 60);
    c.advance(59.5);
    assert.equal((await store.get('k')).count, 2);
    assert.equal((await store.get('k')).ttlSeconds, 1, 'a fraction of a second left rounds up');
    c.advance(0.5);
    assert.deepEqual(await store.get('k'), { count: 0, ttlSeconds: 0 });
    assert.deepEqual(await store.increment('k', 60), { count: 1, ttlSeconds: 60 });
  });

  test('increments do not extend the window (fixed window)', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now });
    await store.increment('k', 60);
    c.advance(30);
    assert.equal((await store.increment('k', 60)).ttlSeconds, 30);
  });

  test('reset forgets a key; other keys are untouched', async () => {
    const store = new MemoryCounterStore();
    await store.increment('a', 60);
    await store.increment('b', 60);
    await store.reset('a');
    assert.equal((await store.get('a')).count, 0);
    assert.equal((await store.get('b')).count, 1);
  });

  test('concurrent increments are atomic: every caller sees a distinct count', async () => {
    const store = new MemoryCounterStore();
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.increment('k', 60)));
    assert.deepEqual(
      counts.map((c) => c.count).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  test('full of live keys: a new key is refused with the seconds until the oldest window ends, and no live key is evicted', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now, maxKeys: 3 });
    await store.increment('a', 60);
    c.advance(10);
    await store.increment('b', 600);
    await store.increment('c', 600);
    await assert.rejects(store.increment('d', 60), (error: unknown) => {
      assert.ok(error instanceof CounterStoreFullError);
      assert.equal(error.retryAfterSeconds, 50, "'a' ends first");
      return true;
    });
    assert.equal(store.size, 3);
    for (const key of ['a', 'b', 'c']) assert.equal((await store.get(key)).count, 1, `${key} kept`);
    assert.equal((await store.increment('a', 60)).count, 2, 'an existing key still counts when full');
  });

  test('an expired key at the front makes room on insert; once the oldest window ends there is room again', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now, maxKeys: 2 });
    await store.increment('old', 60);
    await store.increment('young', 600);
    c.advance(60);
    assert.equal((await store.increment('new', 60)).count, 1, "'old' expired and gave its slot");
    assert.equal(store.size, 2);
    assert.equal((await store.get('young')).count, 1);
  });

  test('sweep deletes every expired key, wherever it sits, and only those', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now });
    await store.increment('long', 600);
    await store.increment('short-1', 60);
    await store.increment('short-2', 60);
    c.advance(60);
    assert.equal(store.size, 3, 'expired keys stay until swept');
    assert.equal(store.sweep(), 2);
    assert.equal(store.size, 1);
    assert.equal((await store.get('long')).count, 1);
  });

  test('the sweep runs on its own timer', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now, sweepIntervalSeconds: 30 });
    await store.increment('k', 10);
    c.advance(10);
    t.mock.timers.tick(29_999);
    assert.equal(store.size, 1);
    t.mock.timers.tick(1);
    assert.equal(store.size, 0, 'swept by the timer');
    await store.close();
  });
});
