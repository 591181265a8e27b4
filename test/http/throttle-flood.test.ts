import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { form, register } from '../support/requests.js';
import { internalsOf } from '../support/internals.js';

const VICTIM = 'victim@example.com';
const WRONG = 'wrong password, long enough';
/** Small enough that a few hundred requests fill it; the default is 100 000. */
const MAX_KEYS = 1000;

describe('a flood of fresh identifiers against the in-memory throttle', () => {
  let t: TestApp;
  let counters: MemoryCounterStore;
  let now = Date.parse('2026-01-01T00:00:00Z');

  function token(username: string, password: string, remoteAddress: string) {
    return t.app.inject({ method: 'POST', url: '/token', remoteAddress, ...form({ username, password }) });
  }

  before(async () => {
    counters = new MemoryCounterStore({ maxKeys: MAX_KEYS, now: () => now });
    t = await buildTestApp({ counters, now: () => new Date(now) });
    assert.equal((await register(t.app, VICTIM)).statusCode, 201);
  });
  after(async () => {
    await t.close();
    await counters.close();
  });

  test("fills the store without wiping a lock-out or the attacker's own counter; new keys are refused with 429", async () => {
    // The victim's account is locked from anywhere: 10 failures from 10 addresses.
    for (let i = 0; i < 10; i++) assert.equal((await token(VICTIM, WRONG, `192.0.2.${i}`)).statusCode, 401);
    now += 60_000;

    // One attacker address at a time, fresh usernames until it is throttled (100 attempts, two new
    // keys each), then 20 more each: bounded at 12 × 120 requests, and the store fills on the way.
    const statuses: number[] = [];
    for (let address = 0; address < 12; address++) {
      for (let i = 0; i < 120; i++) statuses.push((await token(`flood-${address}-${i}@example.com`, WRONG, `203.0.113.${address}`)).statusCode);
    }
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      'never a 500',
    );
    assert.ok(counters.size <= MAX_KEYS, `size ${counters.size}`);

    const full = await token('someone-new@example.com', PASSWORD, '198.51.100.1');
    assert.equal(full.statusCode, 429, 'a full store refuses a new client rather than forget an old one');
    assert.equal(full.json().code, 'TOO_MANY_REQUESTS');
    assert.equal(full.headers['retry-after'], '3540', 'until the oldest counter (the 1-hour registration one of before()) ends');

    // From an address whose counters exist, only the victim's lock-out can answer 429.
    const victim = await token(VICTIM, PASSWORD, '192.0.2.0');
    assert.equal(victim.statusCode, 429, 'the lock-out survived the flood');
    const attacker = await token('flood-again@example.com', WRONG, '203.0.113.0');
    assert.equal(attacker.statusCode, 429, "the attacker's own address counter survived too");
    const identifierKey = internalsOf(t.app).throttle.loginKeys(VICTIM, '192.0.2.0')[1]!.key;
    assert.equal((await counters.get(identifierKey)).count, 11);

    // The windows end, the keys are swept: everyone may try again.
    now += 900_000;
    counters.sweep();
    assert.equal((await token(VICTIM, PASSWORD, '198.51.100.1')).statusCode, 200);
  });
});
