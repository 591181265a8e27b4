import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { CounterStore } from '../../src/core/store.js';

/** A fresh counter store and how to dispose of it (e.g. delete the run's Redis keys). */
export interface CounterFixture {
  counters: CounterStore;
  cleanup: () => Promise<void>;
}

/** The contract of {@link CounterStore}, run on the memory and the Redis implementations. */
export function counterConformance(name: string, factory: () => Promise<CounterFixture>, options: { skip?: string | false } = {}): void {
  describe(`CounterStore conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: CounterFixture;
    let counters: CounterStore;
    const key = (label: string) => `${label}:${randomBytes(4).toString('hex')}`;

    before(async () => {
      fixture = await factory();
      counters = fixture.counters;
    });
    after(async () => fixture?.cleanup());

    test('an absent key counts 0', async () => {
      assert.deepEqual(await counters.get(key('absent')), { count: 0, ttlSeconds: 0 });
    });

    test('increment counts from 1 and reports the window left', async () => {
      const k = key('count');
      const first = await counters.increment(k, 900);
      assert.equal(first.count, 1);
      assert.ok(first.ttlSeconds > 890 && first.ttlSeconds <= 900, `ttl ${first.ttlSeconds}`);
      assert.equal((await counters.increment(k, 900)).count, 2);
      const current = await counters.get(k);
      assert.equal(current.count, 2);
      assert.ok(current.ttlSeconds > 890 && current.ttlSeconds <= 900);
    });

    test('later increments keep the window of the first (fixed window)', async () => {
      const k = key('window');
      await counters.increment(k, 60);
      const second = await counters.increment(k, 3600);
      assert.ok(second.ttlSeconds <= 60, `ttl ${second.ttlSeconds} kept from the first increment`);
    });

    test('50 concurrent increments count 50, each seeing a distinct number', async () => {
      const k = key('atomic');
      const results = await Promise.all(Array.from({ length: 50 }, () => counters.increment(k, 900)));
      assert.deepEqual(
        results.map((r) => r.count).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal((await counters.get(k)).count, 50);
    });

    test('keys are independent', async () => {
      const a = key('a');
      const b = key('b');
      await counters.increment(a, 900);
      await counters.increment(a, 900);
      await counters.increment(b, 900);
      assert.equal((await counters.get(a)).count, 2);
      assert.equal((await counters.get(b)).count, 1);
    });

    test('reset forgets a key', async () => {
      const k = key('reset');
      await counters.increment(k, 900);
      await counters.reset(k);
      assert.deepEqual(await counters.get(k), { count: 0, ttlSeconds: 0 });
      assert.equal((await counters.increment(k, 900)).count, 1);
      await counters.reset(key('never-set'));
    });

    test('decrement refunds one, never goes below zero, keeps the window and creates nothing', async () => {
      const k = key('refund');
      await counters.increment(k, 900);
      await counters.increment(k, 900);
      await counters.decrement(k);
      const after = await counters.get(k);
      assert.equal(after.count, 1);
      assert.ok(after.ttlSeconds > 0 && after.ttlSeconds <= 900, 'the window is kept');
      await counters.decrement(k);
      await counters.decrement(k);
      assert.equal((await counters.get(k)).count, 0);
      const absent = key('never-counted');
      await counters.decrement(absent);
      assert.deepEqual(await counters.get(absent), { count: 0, ttlSeconds: 0 }, 'no key is created');
    });

    test('a key expires after its window and starts again from 1', async () => {
      const k = key('expire');
      await counters.increment(k, 0.2);
      await counters.increment(k, 0.2);
      await sleep(600);
      assert.deepEqual(await counters.get(k), { count: 0, ttlSeconds: 0 });
      assert.equal((await counters.increment(k, 0.2)).count, 1);
    });
  });
}
