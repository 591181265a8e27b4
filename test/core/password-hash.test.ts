import { hash as argon2Hash, Algorithm } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkImportedHash, parsePasswordHash } from '../../src/core/password-hash.js';
import { PasswordContext } from '../../src/core/password.js';
import { FAST_ARGON2 } from '../support/constants.js';

const PASSWORD = 'correct horse battery staple';
/** 16-byte salt and 32-byte output in unpadded base64, as argon2 libraries write them. */
const SALT = 'c29tZXNhbHRzb21lc2FsdA';
const OUTPUT = 'dGhpcyBpcyB0aGlydHktdHdvIGJ5dGVzIG9mIGhhc2gh';
const phc = (params: string, variant = 'argon2id') => `$argon2${variant.slice(6)}$v=19$${params}$${SALT}$${OUTPUT}`;

describe('parsePasswordHash', () => {
  test('reads real argon2 and bcrypt hashes in full, Django prefixes included', async () => {
    const argon = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, ...FAST_ARGON2 });
    assert.deepEqual(parsePasswordHash(argon), {
      scheme: 'argon2',
      variant: 'argon2id',
      version: 19,
      memoryCost: 256,
      timeCost: 1,
      parallelism: 1,
      phc: argon,
      djangoPrefix: false,
    });
    assert.equal((parsePasswordHash(`argon2${argon}`) as { djangoPrefix: boolean }).djangoPrefix, true);
    const bcrypt = await bcryptHash(PASSWORD, 4);
    assert.deepEqual(parsePasswordHash(bcrypt), { scheme: 'bcrypt', cost: 4, hash: bcrypt, sha256: false });
    assert.deepEqual(parsePasswordHash(`bcrypt_sha256$${bcrypt}`), { scheme: 'bcrypt', cost: 4, hash: bcrypt, sha256: true });
    // passlib's argon2 default: 16-byte salt, 16-byte output, m=512 t=2 p=2.
    assert.equal(parsePasswordHash('$argon2id$v=19$m=512,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$dGhpcyBpcyBzaXh0ZWVuIQ')?.scheme, 'argon2');
  });

  test('refuses what only starts like a hash', () => {
    for (const bad of [
      '$argon2id$v=19$m=1,t=1,p=1$NOT-A-REAL-HASH', // the review's import: no salt, not base64, m below 8 KiB
      phc('m=19456,t=2,p=1').slice(0, -10) + '!!!!!!!!!!', // output not base64
      `${phc('m=19456,t=2,p=1')}$extra`,
      `$argon2id$v=19$m=19456,t=2,p=1$${SALT}`, // no output
      `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${OUTPUT}`, // 4-byte salt
      `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${OUTPUT}A`, // a length no byte count encodes to
      phc('m=019456,t=2,p=1'), // leading zero
      phc('m=64,t=2,p=16'), // under 8 KiB per lane
      phc('m=19456,t=0,p=1'),
      phc('m=19456,t=2,p=1,keyid=abc'),
      '$argon2id$v=20$m=19456,t=2,p=1$' + `${SALT}$${OUTPUT}`,
      '$2b$03$' + 'a'.repeat(53), // bcrypt cost below 4
      '$2b$32$' + 'a'.repeat(53), // above 31
      '$2b$12$' + 'a'.repeat(52),
      '$2x$12$' + 'a'.repeat(53),
      '',
      'plaintext',
      'pbkdf2_sha256$260000$salt$hash',
    ]) {
      assert.equal(parsePasswordHash(bad), null, bad);
    }
  });
});

describe('checkImportedHash', () => {
  test("admits the defaults of passlib, Django, argon2-cffi/pwdlib and OWASP's rows", () => {
    for (const ok of [
      phc('m=512,t=2,p=2'),
      phc('m=102400,t=2,p=8'),
      phc('m=65536,t=3,p=4'),
      phc('m=19456,t=2,p=1'),
      phc('m=47104,t=1,p=1'),
      phc('m=7168,t=5,p=1'),
      phc('m=65536,t=2,p=4', 'argon2i'),
      '$2b$12$' + 'a'.repeat(53),
      '$2a$14$' + 'a'.repeat(53),
      'bcrypt$$2b$10$' + 'a'.repeat(53),
    ]) {
      assert.equal(checkImportedHash(ok), null, ok);
    }
  });

  test('refuses costs beyond the bounds, naming the parameter and never echoing the hash', () => {
    const cases: [string, RegExp][] = [
      [phc('m=1048576,t=3,p=1'), /memory m=1048576 KiB is above 262144 KiB/], // the review's 1 GiB hash
      [phc('m=262144,t=3,p=1'), /m×t=786432 KiB is above 524288 KiB/],
      [phc('m=19456,t=11,p=1'), /time cost t=11 is above 10/],
      [phc('m=19456,t=2,p=17'), /parallelism p=17 is above 16/],
      ['$2b$15$' + 'a'.repeat(53), /bcrypt cost 15 is above 14/],
      ['$argon2id$v=19$m=1,t=1,p=1$NOT-A-REAL-HASH', /not a complete argon2 \(PHC\) or bcrypt hash/],
    ];
    for (const [hash, reason] of cases) {
      const refused = checkImportedHash(hash);
      assert.match(String(refused), reason, hash);
      assert.ok(!String(refused).includes(SALT) && !String(refused).includes('NOT-A-REAL'), 'no part of the hash');
    }
  });
});

describe('PasswordContext: a failed verification never costs less than an unknown email', () => {
  /** A context whose dummy verifications (what an unknown email costs) are counted. */
  function countingContext(): { context: PasswordContext; dummies: () => number } {
    const context = new PasswordContext({ argon2: FAST_ARGON2 });
    let dummies = 0;
    const original = context.verifyDummy.bind(context);
    context.verifyDummy = async (password: string) => {
      dummies += 1;
      return original(password);
    };
    return { context, dummies: () => dummies };
  }

  test('a legacy hash (bcrypt, older argon2) runs a dummy verification at the current parameters beside its own', async () => {
    const legacy = [await bcryptHash(PASSWORD, 4), await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 64, timeCost: 1, parallelism: 1 })];
    for (const hashed of legacy) {
      const { context, dummies } = countingContext();
      assert.deepEqual(await context.verifyPassword('wrong password here', hashed), { valid: false, needsRehash: false });
      assert.equal(dummies(), 1, hashed.slice(0, 20));
      assert.deepEqual(await context.verifyPassword(PASSWORD, hashed), { valid: true, needsRehash: true }, 'still verifies');
    }
  });

  test('a bcrypt input over 72 bytes, refused without hashing, still costs a dummy verification', async () => {
    const { context, dummies } = countingContext();
    assert.equal((await context.verifyPassword('x'.repeat(100), await bcryptHash('x'.repeat(72), 4))).valid, false);
    assert.equal(dummies(), 1);
  });

  test('an unparseable stored hash costs a dummy verification rather than answering at once', async () => {
    const { context, dummies } = countingContext();
    assert.equal((await context.verifyPassword(PASSWORD, '$argon2id$v=19$m=1,t=1,p=1$NOT-A-REAL-HASH')).valid, false);
    assert.equal(dummies(), 1);
  });

  test('a hash at the current parameters is verified once, with no dummy beside it', async () => {
    const { context, dummies } = countingContext();
    const current = await context.hashPassword(PASSWORD);
    assert.equal((await context.verifyPassword('wrong password here', current)).valid, false);
    assert.equal(dummies(), 0);
  });
});
