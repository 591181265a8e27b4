import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => { now += seconds * 1000; } };
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
    assert.deepEqual(counts.map((c) => c.count).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test('size is bounded: expired keys go first, then the oldest', async () => {
    const c = clock();
    const store = new MemoryCounterStore({ now: c.now, maxKeys: 3 });
    await store.increment('short', 1);
    await store.increment('a', 60);
    await store.increment('b', 60);
    c.advance(2);
    await store.increment('c', 60); // 'short' has expired and makes room
    assert.equal(store.size, 3);
    assert.equal((await store.get('a')).count, 1);
    await store.increment('d', 60); // full of live keys: the oldest ('a') goes
    assert.equal(store.size, 3);
    assert.equal((await store.get('a')).count, 0);
    assert.equal((await store.get('d')).count, 1);
  });
});
