import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthError, ConfigError } from '../../src/core/errors.js';
import { DEFAULT_THROTTLE, resolveThrottleOptions, Throttle } from '../../src/core/throttle.js';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';

function setup(options: Parameters<typeof resolveThrottleOptions>[0] = {}, maxKeys?: number) {
  let now = 5_000_000;
  const counters = new MemoryCounterStore({ now: () => now, maxKeys });
  const throttle = new Throttle(counters, resolveThrottleOptions(options));
  return {
    throttle,
    counters,
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    return error;
  }
  assert.fail('expected a 429');
}

const fail = async () => null;

describe('Throttle', () => {
  test('defaults as docs/security.md lists them: 5 / 10 / 100 per 15 min, 20 registrations per hour', () => {
    assert.deepEqual(resolveThrottleOptions(), {
      enabled: true,
      loginWindowSeconds: 900,
      identifierAddressLimit: 5,
      identifierLimit: 10,
      addressLimit: 100,
      registerLimit: 20,
      registerWindowSeconds: 3600,
    });
    assert.equal(DEFAULT_THROTTLE.identifierAddressLimit, 5);
  });

  test('bad settings are a ConfigError naming the option', () => {
    assert.throws(
      () => resolveThrottleOptions({ identifierLimit: 0 }),
      (e: unknown) => e instanceof ConfigError && e.key === 'throttle.identifierLimit',
    );
    assert.throws(() => resolveThrottleOptions({ loginWindowSeconds: 1.5 }), ConfigError);
  });

  test('the sixth failure of one identifier from one address is refused with the seconds left', async () => {
    const { throttle, advance } = setup();
    const keys = throttle.loginKeys('alice@example.com', '192.0.2.1');
    for (let i = 0; i < 5; i++) assert.equal(await throttle.guard(keys, fail), null);
    advance(100);
    const error = await rejection(throttle.guard(keys, async () => 'right password'));
    assert.equal(error.code, 'TOO_MANY_REQUESTS');
    assert.equal(error.statusCode, 429);
    assert.equal(error.retryAfter, 800);
  });

  test('the window expires: a throttle is never permanent', async () => {
    const { throttle, advance } = setup();
    const keys = throttle.loginKeys('alice@example.com', '192.0.2.1');
    for (let i = 0; i < 6; i++) await throttle.guard(keys, fail).catch(() => {});
    await rejection(throttle.guard(keys, async () => 'ok'));
    advance(900);
    assert.equal(await throttle.guard(keys, async () => 'ok'), 'ok');
  });

  test('the identifier is counted in its stored form (case, spaces)', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 5; i++) await throttle.guard(throttle.loginKeys(' Alice@Example.com', '192.0.2.1'), fail);
    await rejection(throttle.guard(throttle.loginKeys('alice@example.com', '192.0.2.1'), fail));
  });

  test('per identifier from anywhere: 10 failures spread over addresses', async () => {
    const { throttle } = setup();
    for (let i = 0; i < 10; i++) await throttle.guard(throttle.loginKeys('alice@example.com', `192.0.2.${i}`), fail);
    await rejection(throttle.guard(throttle.loginKeys('alice@example.com', '198.51.100.7'), fail));
    assert.equal(await throttle.guard(throttle.loginKeys('bob@example.com', '198.51.100.7'), fail), null, 'other identifiers are free');
  });

  test('per address whatever the identifier (password spraying)', async () => {
    const { throttle } = setup({ addressLimit: 3 });
    for (let i = 0; i < 3; i++) await throttle.guard(throttle.loginKeys(`user${i}@example.com`, '192.0.2.1'), fail);
    await rejection(throttle.guard(throttle.loginKeys('fresh@example.com', '192.0.2.1'), fail));
    assert.equal(await throttle.guard(throttle.loginKeys('fresh@example.com', '192.0.2.2'), fail), null);
  });

  test('IPv6 addresses of one /64 share a counter; another /64 does not', async () => {
    const { throttle } = setup();
    for (let i = 1; i <= 5; i++) await throttle.guard(throttle.loginKeys('alice@example.com', `2001:db8:0:1::${i}`), fail);
    await rejection(throttle.guard(throttle.loginKeys('alice@example.com', '2001:db8:0:1:ffff::9'), fail));
    assert.equal(await throttle.guard(throttle.loginKeys('alice@example.com', '2001:db8:0:2::1'), fail), null);
  });

  test('a success clears the identifier counters and refunds its own charge to the per-address one', async () => {
    const { throttle, counters } = setup();
    const keys = throttle.loginKeys('alice@example.com', '192.0.2.1');
    for (let i = 0; i < 4; i++) await throttle.guard(keys, fail);
    assert.equal(await throttle.guard(keys, async () => 'ok'), 'ok');
    const [pair, identifier, address] = await Promise.all(keys.map((k) => counters.get(k.key)));
    assert.equal(pair!.count, 0);
    assert.equal(identifier!.count, 0);
    assert.equal(address!.count, 4, 'the four failures still count; the success does not');
    for (let i = 0; i < 5; i++) assert.equal(await throttle.guard(keys, fail), null, 'a fresh allowance after the success');
  });

  test('concurrent attempts cannot exceed the limit: of 20 at once, exactly 5 reach the password check', async () => {
    const { throttle } = setup();
    const keys = throttle.loginKeys('alice@example.com', '192.0.2.1');
    let checks = 0;
    const attempt = async () => {
      checks += 1;
      await new Promise((resolve) => setImmediate(resolve)); // the hash runs while others arrive
      return null;
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => throttle.guard(keys, attempt)));
    assert.equal(checks, 5);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as AuthError).code === 'TOO_MANY_REQUESTS'));
  });

  test('a refused address creates no per-identifier counters: the address is charged first', async () => {
    const { throttle, counters } = setup({ addressLimit: 3 });
    for (let i = 0; i < 3; i++) await throttle.guard(throttle.loginKeys(`user${i}@example.com`, '192.0.2.1'), fail);
    const size = counters.size;
    for (let i = 0; i < 50; i++) await rejection(throttle.guard(throttle.loginKeys(`fresh${i}@example.com`, '192.0.2.1'), fail));
    assert.equal(counters.size, size, 'fifty refused attempts with fresh identifiers added no key');
  });

  test('a full store refuses a new counter with 429 and Retry-After, and keeps every lock-out', async () => {
    const { throttle, counters, advance } = setup({}, 8);
    const victim = throttle.loginKeys('victim@example.com', '192.0.2.1');
    for (let i = 0; i < 5; i++) await throttle.guard(victim, fail);
    advance(60);
    // Fresh identifiers from one address until the store is full (3 keys used, 2 per attempt).
    for (let i = 0; counters.size < 8; i++) await throttle.guard(throttle.loginKeys(`flood${i}@example.com`, '192.0.2.2'), fail);
    const refused = await rejection(throttle.guard(throttle.loginKeys('flood-more@example.com', '192.0.2.2'), fail));
    assert.equal(refused.code, 'TOO_MANY_REQUESTS');
    assert.equal(refused.retryAfter, 840, "until the victim's counters, the oldest, end their window");
    assert.equal(counters.size, 8);
    await rejection(throttle.guard(victim, async () => 'right password'));
    assert.equal((await counters.get(victim[0]!.key)).count, 6, 'the lock-out is intact');
  });

  test('check is read-only and refuses once a counter is full', async () => {
    const { throttle, counters } = setup({ registerLimit: 2 });
    const keys = throttle.registrationKeys('192.0.2.1');
    await throttle.check(keys);
    assert.equal((await counters.get(keys[0]!.key)).count, 0);
    await throttle.consume(keys);
    await throttle.consume(keys);
    await rejection(throttle.check(keys));
    await rejection(throttle.consume(keys));
  });

  test('customKey hashes the subject so raw emails are not store keys', () => {
    const { throttle } = setup();
    const key = throttle.customKey('forgot:id', 'alice@example.com', 3, 3600);
    assert.doesNotMatch(key.key, /alice/);
    assert.match(key.key, /^forgot:id:[A-Za-z0-9_-]{43}$/);
    assert.doesNotMatch(
      throttle
        .loginKeys('alice@example.com', '192.0.2.1')
        .map((k) => k.key)
        .join(' '),
      /alice/,
    );
  });

  test('passkey sign-ins: per credential and address and per address, with no counter per credential from anywhere; the credential id is hashed', async () => {
    const { throttle, counters } = setup({ addressLimit: 7 });
    const credential = 'Y3JlZGVudGlhbC1pZA';
    const keys = throttle.passkeyLoginKeys(credential, '192.0.2.1');
    assert.deepEqual(
      keys.map((k) => [k.limit, k.windowSeconds, k.clearOnSuccess, k.chargedFirst ?? false]),
      [
        [5, 900, true, false],
        [7, 900, false, true],
      ],
    );
    assert.doesNotMatch(keys.map((k) => k.key).join(' '), new RegExp(credential));
    // Failures for one credential from ten addresses refuse none of them a first attempt elsewhere.
    for (let i = 0; i < 10; i++) for (let j = 0; j < 5; j++) await throttle.guard(throttle.passkeyLoginKeys(credential, `198.51.100.${i}`), fail);
    assert.equal(await throttle.guard(throttle.passkeyLoginKeys(credential, '203.0.113.1'), async () => 'owner'), 'owner');
    await rejection(throttle.guard(throttle.passkeyLoginKeys(credential, '198.51.100.0'), async () => 'ok'));
    const passwordAddress = throttle.loginKeys('anyone@example.com', '198.51.100.0')[2]!;
    assert.equal((await counters.get(passwordAddress.key)).count, 0, "passkey failures do not use up the address's password logins");
  });

  test('disabled: nothing is counted or refused', async () => {
    const { throttle, counters } = setup({ enabled: false });
    const keys = throttle.loginKeys('alice@example.com', '192.0.2.1');
    for (let i = 0; i < 30; i++) await throttle.guard(keys, fail);
    assert.equal((await counters.get(keys[0]!.key)).count, 0);
  });
});
