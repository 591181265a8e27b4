import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FairLimit } from '../../src/core/fair-limit.js';

/** A task that records when it starts and finishes only when released. */
function gatedTasks() {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const task = (name: string) => () => {
    started.push(name);
    return new Promise<string>((resolve) => gates.push(() => resolve(name)));
  };
  /** Lets the oldest running task finish, then gives the limiter a tick to start the next. */
  const finishOne = async () => {
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, task, finishOne };
}

describe('FairLimit', () => {
  test('never runs more than `concurrency` tasks at once', async () => {
    const limit = new FairLimit(2);
    const { started, task, finishOne } = gatedTasks();
    const all = Array.from({ length: 5 }, (_, i) => limit.run('a', task(`a${i}`)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['a0', 'a1']);
    assert.equal(limit.waiting, 3);
    for (let i = 0; i < 5; i++) await finishOne();
    assert.deepEqual(await Promise.all(all), ['a0', 'a1', 'a2', 'a3', 'a4']);
  });

  test('a freed slot goes to the next requester in turn, not to the oldest task', async () => {
    const limit = new FairLimit(1);
    const { started, task, finishOne } = gatedTasks();
    const runs = [
      ...Array.from({ length: 10 }, (_, i) => limit.run('attacker', task(`x${i}`))),
      limit.run('alice', task('alice')),
      limit.run('bob', task('bob')),
    ];
    for (let i = 0; i < 12; i++) await finishOne();
    await Promise.all(runs);
    assert.deepEqual(started.slice(0, 5), ['x0', 'x1', 'alice', 'bob', 'x2'], 'alice and bob each wait for one turn of the attacker');
    assert.deepEqual(started.slice(5), ['x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9'], 'alone, the attacker gets every slot');
  });

  test('a failing task frees its slot and rejects its own caller only', async () => {
    const limit = new FairLimit(1);
    const failing = limit.run('a', async () => {
      throw new Error('boom');
    });
    const next = limit.run('b', async () => 'ran');
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'ran');
    assert.equal(limit.waiting, 0);
  });
});
