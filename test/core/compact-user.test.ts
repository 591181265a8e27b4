import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compactUser } from '../../src/core/compact-user.js';
import type { User } from '../../src/core/user.js';

const USER: User = {
  id: 7,
  email: 'ada@example.com',
  hashedPassword: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  isActive: true,
  isSuperuser: false,
  isVerified: true,
  createdAt: new Date('2026-01-02T03:04:05.678Z'),
  updatedAt: new Date('2026-03-04T05:06:07.089Z'),
};

describe("compactUser (the session cache's copy of a user)", () => {
  test('reads, spreads, serialises and compares as the original, dates to the millisecond', () => {
    const compact = compactUser(USER);
    assert.deepStrictEqual(compact, USER);
    assert.deepStrictEqual({ ...compact }, USER);
    assert.equal(JSON.stringify(compact), JSON.stringify(USER));
    assert.deepStrictEqual(Object.keys(compact), Object.keys(USER));
    assert.equal(Object.getPrototypeOf(compact), Object.prototype);
    assert.ok(compact.createdAt instanceof Date);
    assert.equal(compact.updatedAt.toISOString(), '2026-03-04T05:06:07.089Z');
  });

  test('frozen, and independent of the original and of the dates it hands out', () => {
    const original = { ...USER, createdAt: new Date(USER.createdAt), updatedAt: new Date(USER.updatedAt) };
    const compact = compactUser(original);
    assert.ok(Object.isFrozen(compact));
    assert.throws(() => {
      (compact as User).isSuperuser = true;
    }, TypeError);
    original.email = 'mallory@example.com';
    original.updatedAt.setTime(0);
    compact.createdAt.setTime(0);
    assert.equal(compact.email, 'ada@example.com');
    assert.equal(compact.updatedAt.toISOString(), '2026-03-04T05:06:07.089Z');
    assert.equal(compact.createdAt.toISOString(), '2026-01-02T03:04:05.678Z');
  });

  test('keeps fields the User type may gain, and invalid dates stay invalid', () => {
    const extended = { ...USER, createdAt: new Date(Number.NaN), locale: 'fr' } as User & { locale: string };
    const compact = compactUser(extended) as User & { locale: string };
    assert.equal(compact.locale, 'fr');
    assert.ok(Number.isNaN(compact.createdAt.getTime()));
  });
});
