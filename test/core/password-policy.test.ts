import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthService } from '../../src/core/auth-service.js';
import { resolveAuthOptions } from '../../src/core/options.js';
import { checkPasswordPolicy, normalizePassword } from '../../src/core/password-policy.js';
import { PasswordContext } from '../../src/core/password.js';
import type { Store } from '../../src/core/store.js';
import { FAST_ARGON2, TEST_SECRET } from '../support/constants.js';

const POLICY = { minLength: 15, maxLength: 1024 };
const check = (password: string, email?: string) => checkPasswordPolicy(normalizePassword(password), POLICY, email);

describe('password policy (NIST SP 800-63B-4, ASVS 6.2)', () => {
  test('14 characters is refused with the reason, 15 is accepted', () => {
    assert.equal(check('a'.repeat(9) + 'bcdef'), 'Password should be at least 15 characters');
    assert.equal(check('a'.repeat(9) + 'bcdefg'), null);
  });

  test('length counts code points: 64 emoji are 64 characters, not 128 UTF-16 units', () => {
    const emoji = '🔐'.repeat(64);
    assert.equal(emoji.length, 128);
    assert.equal(checkPasswordPolicy(emoji, { minLength: 15, maxLength: 64 }), null);
    assert.equal(checkPasswordPolicy(emoji, { minLength: 65, maxLength: 1024 }), 'Password should be at least 65 characters');
    assert.equal(checkPasswordPolicy('🔐'.repeat(14), POLICY), 'Password should be at least 15 characters');
  });

  test('1024 characters is accepted, 1025 refused', () => {
    const base = 'abcdefghij'.repeat(103); // 1030
    assert.equal(check(base.slice(0, 1024)), null);
    assert.equal(check(base.slice(0, 1025)), 'Password should be at most 1024 characters');
  });

  test('a common password from the blocklist is refused, whatever its case', () => {
    // "passwordpassword" is in zxcvbn-ts' common list and has 16 characters, so only the blocklist can refuse it.
    assert.equal(check('passwordpassword'), 'Password is too common');
    assert.equal(check('PasswordPassword'), 'Password is too common');
  });

  test('a password equal to the email is refused', () => {
    assert.equal(check('someone.long@example.com', 'someone.long@example.com'), 'Password should not be the email');
    assert.equal(check('Someone.Long@Example.com', 'someone.long@example.com'), 'Password should not be the email');
    assert.equal(check('someone.long@example.com', 'other.person@example.com'), null);
  });

  test('no composition rules: lower-case letters and spaces alone are fine', () => {
    assert.equal(check('just some lower case words'), null);
  });

  test('NFKC: fullwidth letters and the ﬁ ligature normalise to their plain forms', () => {
    assert.equal(normalizePassword('ｃｏｒｒｅｃｔ'), 'correct');
    assert.equal(normalizePassword('ﬁne'), 'fine');
    // Length is counted after normalisation: "ﬁ" is one code point before, two after.
    assert.equal(check('ﬁ'.repeat(7) + 'x'), null);
    assert.equal(check('ﬁ'.repeat(7)), 'Password should be at least 15 characters');
  });

  test('no trimming: a trailing space is part of the password', () => {
    assert.equal(normalizePassword('correct horse battery '), 'correct horse battery ');
    assert.notEqual(normalizePassword('correct horse battery '), normalizePassword('correct horse battery'));
  });
});

/** An in-memory store just big enough for register + authenticate. */
function memoryStore(): Store {
  const users: Parameters<Store['createUser']>[0][] = [];
  const rows: Awaited<ReturnType<Store['findUserById']>>[] = [];
  return {
    async createUser(user, now) {
      if (users.some((u) => u.email === user.email)) return null;
      users.push(user);
      const row = {
        id: rows.length + 1,
        email: user.email,
        hashedPassword: user.hashedPassword,
        isActive: true,
        isSuperuser: false,
        isVerified: false,
        createdAt: now,
        updatedAt: now,
      };
      rows.push(row);
      return row;
    },
    async findUserByEmail(email) {
      return rows.find((r) => r?.email === email) ?? null;
    },
    async replacePasswordHash() {
      return true;
    },
  } as Partial<Store> as Store;
}

describe('password policy applied by the service', () => {
  const service = () =>
    new AuthService(
      memoryStore(),
      resolveAuthOptions({ secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true }, () => ''),
    );

  test('the NFKC form is what is hashed: a fullwidth password logs in with its ASCII form and back', async () => {
    const auth = service();
    await auth.register('wide@example.com', 'ｆｕｌｌｗｉｄｔｈ ｐａｓｓｗｏｒｄ');
    assert.ok(await auth.authenticate('wide@example.com', 'fullwidth password'));
    await auth.register('liga@example.com', 'ﬁnally a long passphrase');
    assert.ok(await auth.authenticate('liga@example.com', 'finally a long passphrase'));
    assert.ok(await auth.authenticate('liga@example.com', 'ﬁnally a long passphrase'));
  });

  test('the hash is of the normalised form (verifies directly against it)', async () => {
    const auth = service();
    const user = await auth.register('direct@example.com', 'ｆｕｌｌｗｉｄｔｈ ｐａｓｓｗｏｒｄ');
    const context = new PasswordContext({ argon2: FAST_ARGON2 });
    assert.equal((await context.verifyPassword('fullwidth password', user.hashedPassword)).valid, true);
  });

  test('a trailing space matters at login', async () => {
    const auth = service();
    await auth.register('space@example.com', 'correct horse battery ');
    assert.ok(await auth.authenticate('space@example.com', 'correct horse battery '));
    assert.equal(await auth.authenticate('space@example.com', 'correct horse battery'), null);
  });

  test('register refuses a policy breach with REGISTER_INVALID_PASSWORD and the reason', async () => {
    const auth = service();
    await assert.rejects(auth.register('short@example.com', 'fourteen chars'), (error: { code?: string; detail?: unknown }) => {
      assert.equal(error.code, 'REGISTER_INVALID_PASSWORD');
      assert.equal(error.detail, 'Password should be at least 15 characters');
      return true;
    });
  });
});
