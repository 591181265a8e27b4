import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cachedSessionBytes, monotonicNow, SESSION_CACHE_LEASE_MS, SessionCache, type CachedSession } from '../../src/core/session-cache.js';
import type { User } from '../../src/core/user.js';

function session(userId: number): CachedSession {
  const user: User = {
    id: userId,
    email: `u${userId}@example.com`,
    hashedPassword: 'x',
    isActive: true,
    isSuperuser: false,
    isVerified: false,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  return { user, expiresAt: Date.now() + 60_000, lastUsedAt: Date.now() };
}

function trustedCache(size = 10): SessionCache {
  const cache = new SessionCache({ size });
  cache.confirm(monotonicNow());
  return cache;
}

describe('SessionCache', () => {
  test("answers only while the channel's confirmation is fresh (the lease)", () => {
    const cache = new SessionCache();
    cache.set(cache.ticket(), 'd', session(1));
    assert.equal(cache.get('d'), undefined, 'never confirmed: not trusted, nothing stored');
    cache.confirm(monotonicNow());
    cache.set(cache.ticket(), 'd', session(1));
    assert.equal(cache.get('d')?.user.id, 1);
    const stale = new SessionCache();
    stale.confirm(monotonicNow() - SESSION_CACHE_LEASE_MS - 1);
    assert.equal(stale.trusted, false, 'a confirmation older than the lease is worth nothing');
  });

  test('times are kept to the second, rounded down: a cached session expires early by under a second, never late', () => {
    const cache = trustedCache();
    const given = { ...session(7), expiresAt: 1_765_000_000_999, lastUsedAt: 1_765_000_000_500 };
    cache.set(cache.ticket(), 'd', given);
    const cached = cache.get('d')!;
    assert.deepEqual([cached.expiresAt, cached.lastUsedAt], [1_765_000_000_000, 1_765_000_000_000]);
    cache.touched('d', 1_765_000_300_250);
    assert.equal(cache.get('d')!.lastUsedAt, 1_765_000_300_000);
  });

  test('a session read while a change arrived is not stored (the read may predate the change)', () => {
    const cache = trustedCache();
    const ticket = cache.ticket();
    cache.evict({ digests: ['unrelated'] });
    cache.set(ticket, 'd', session(1));
    assert.equal(cache.get('d'), undefined);
    cache.set(cache.ticket(), 'd', session(1));
    assert.ok(cache.get('d'));
  });

  test('a session read before the channel first confirmed is not stored (no channel vouches for changes made before it listened)', () => {
    const cache = new SessionCache();
    const ticket = cache.ticket();
    cache.confirm(monotonicNow());
    cache.set(ticket, 'd', session(1));
    assert.equal(cache.get('d'), undefined);
    cache.set(cache.ticket(), 'd', session(1));
    assert.ok(cache.get('d'), 'a read begun after the confirmation is stored');
  });

  test('a change of a user evicts all of its sessions and only them', () => {
    const cache = trustedCache();
    for (const [digest, user] of [
      ['a1', 1],
      ['a2', 1],
      ['b1', 2],
    ] as const)
      cache.set(cache.ticket(), digest, session(user));
    cache.evict({ userIds: [1] });
    assert.equal(cache.get('a1'), undefined);
    assert.equal(cache.get('a2'), undefined);
    assert.ok(cache.get('b1'));
    cache.evict({ digests: ['b1'] });
    assert.equal(cache.get('b1'), undefined);
  });

  test('a lost channel stops answers at once, and the cache starts empty once confirmed again', () => {
    const cache = trustedCache();
    cache.set(cache.ticket(), 'd', session(1));
    const ticket = cache.ticket();
    cache.lost();
    assert.equal(cache.get('d'), undefined);
    cache.set(cache.ticket(), 'e', session(2));
    cache.confirm(monotonicNow());
    cache.set(ticket, 'f', session(3));
    assert.equal(cache.size, 0, 'emptied, and nothing read before the recovery was stored');
    assert.equal(cache.get('d'), undefined);
  });

  test("bounded: the least recently used leave, and a user's eviction still finds the rest", () => {
    const cache = trustedCache(3);
    for (let i = 0; i < 10; i += 1) cache.set(cache.ticket(), `d${i}`, session(i % 2));
    assert.equal(cache.size, 3);
    cache.evict({ userIds: [0, 1] });
    assert.equal(cache.size, 0);
  });

  test('cached users are frozen: a request cannot alter what the next one sees', () => {
    const cache = trustedCache();
    cache.set(cache.ticket(), 'd', session(1));
    assert.throws(() => {
      (cache.get('d')!.user as User).isSuperuser = true;
    }, TypeError);
  });

  test('bounded in bytes too: long sessions leave sooner, the index follows, and the count never passes the budget', () => {
    const long = (userId: number): CachedSession => {
      const s = session(userId);
      return { ...s, user: { ...s.user, email: `${'x'.repeat(200)}${userId}@example.com` } };
    };
    const one = cachedSessionBytes('d0', long(0));
    const cache = new SessionCache({ size: 1000, maxBytes: one * 3 });
    cache.confirm(monotonicNow());
    for (let i = 0; i < 10; i += 1) cache.set(cache.ticket(), `d${i}`, long(i));
    assert.equal(cache.size, 3, 'the byte budget binds before the entry bound');
    assert.ok(cache.bytes <= one * 3);
    assert.equal(cache.get('d0'), undefined, 'the least recently used left');
    assert.equal(cache.get('d9')?.user.id, 9);
    cache.evict({ userIds: [7, 8, 9] });
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    const withEmail = (email: string) => cachedSessionBytes('d', { ...session(1), user: { ...session(1).user, email } });
    assert.equal(withEmail('жжжж@example.com') - withEmail('zzzz@example.com'), 16, 'beyond Latin-1, V8 stores two bytes a character');
  });
});
