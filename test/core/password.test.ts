import { hash as argon2Hash, Algorithm } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DEFAULT_ARGON2, PasswordContext } from '../../src/core/password.js';
import { FAST_ARGON2 } from '../support/constants.js';

const PASSWORD = 'correct horse battery staple';
const context = new PasswordContext({ argon2: FAST_ARGON2 });

/**
 * A fixed bcrypt vector from Openwall's crypt_blowfish test suite ("U*U", cost 5). passlib,
 * Django and PHP all emit this modular-crypt layout; only the `$2?$` prefix differs.
 */
const OPENWALL_VECTOR = { password: 'U*U', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW' };

describe('PasswordContext: argon2id', () => {
  test('hashes to an argon2id PHC string with the configured parameters and a fresh salt each time', async () => {
    const first = await context.hashPassword(PASSWORD);
    const second = await context.hashPassword(PASSWORD);
    assert.match(first, /^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.notEqual(first, second, 'a fresh salt per hash');
    assert.ok(!first.includes(PASSWORD));
  });

  test('verifies the right password, refuses a wrong one, and needs no rehash at current parameters', async () => {
    const hashed = await context.hashPassword(PASSWORD);
    assert.deepEqual(await context.verifyPassword(PASSWORD, hashed), { valid: true, needsRehash: false });
    assert.deepEqual(await context.verifyPassword(`${PASSWORD}!`, hashed), { valid: false, needsRehash: false });
    assert.equal(context.needsRehash(hashed), false);
  });

  test('an argon2 hash with older (weaker) parameters still verifies and reports needsRehash', async () => {
    const old = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 128, timeCost: 1, parallelism: 1 });
    assert.deepEqual(await context.verifyPassword(PASSWORD, old), { valid: true, needsRehash: true });
    assert.equal(context.needsRehash(old), true);
    assert.deepEqual(await context.verifyPassword('wrong password here', old), { valid: false, needsRehash: false });
  });

  test('argon2i (not id) verifies and reports needsRehash', async () => {
    const argon2i = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2i, ...FAST_ARGON2 });
    assert.match(argon2i, /^\$argon2i\$/);
    assert.deepEqual(await context.verifyPassword(PASSWORD, argon2i), { valid: true, needsRehash: true });
  });

  test("Django's argon2$ prefix verifies and reports needsRehash", async () => {
    const phc = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, ...FAST_ARGON2 });
    const django = `argon2${phc}`;
    assert.deepEqual(await context.verifyPassword(PASSWORD, django), { valid: true, needsRehash: true });
    assert.equal((await context.verifyPassword('not the password', django)).valid, false);
  });

  test('an unknown format, an empty string or garbage is simply invalid, never a throw', async () => {
    for (const hashed of ['', 'plaintext', 'pbkdf2_sha256$260000$salt$hash', '$argon2id$v=19$m=256,t=1,p=1$bad', '$2b$04$short']) {
      assert.deepEqual(await context.verifyPassword(PASSWORD, hashed), { valid: false, needsRehash: false }, hashed);
    }
  });

  test('the real OWASP parameters (m=19456, t=2, p=1) are the default and round-trip', async () => {
    const real = new PasswordContext();
    assert.deepEqual(real.parameters, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.deepEqual(DEFAULT_ARGON2, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hashed = await real.hashPassword(PASSWORD);
    assert.match(hashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.deepEqual(await real.verifyPassword(PASSWORD, hashed), { valid: true, needsRehash: false });
    // A hash made by the fast test context is "older parameters" for the real one.
    assert.equal(real.needsRehash(await context.hashPassword(PASSWORD)), true);
  });
});

describe('PasswordContext: bcrypt (passlib / Django / PHP)', () => {
  test('a passlib-format $2b$ hash verifies and reports needsRehash', async () => {
    const passlibStyle = await bcryptHash(PASSWORD, 12);
    assert.match(passlibStyle, /^\$2b\$12\$[./A-Za-z0-9]{53}$/);
    assert.deepEqual(await context.verifyPassword(PASSWORD, passlibStyle), { valid: true, needsRehash: true });
    assert.deepEqual(await context.verifyPassword(`${PASSWORD}x`, passlibStyle), { valid: false, needsRehash: false });
    assert.equal(context.needsRehash(passlibStyle), true);
  });

  test('the Openwall vector verifies under $2a$, $2b$ and $2y$ prefixes', async () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const hashed = prefix + OPENWALL_VECTOR.hash.slice(4);
      assert.deepEqual(await context.verifyPassword(OPENWALL_VECTOR.password, hashed), { valid: true, needsRehash: true }, prefix);
      assert.equal((await context.verifyPassword('U*V', hashed)).valid, false, prefix);
    }
  });

  test("Django's bcrypt$ prefix (raw password) verifies", async () => {
    const django = `bcrypt$${await bcryptHash(PASSWORD, 4)}`;
    assert.deepEqual(await context.verifyPassword(PASSWORD, django), { valid: true, needsRehash: true });
    assert.equal((await context.verifyPassword('something else entirely', django)).valid, false);
  });

  test("Django's bcrypt_sha256$ prefix (bcrypt over the hex SHA-256) verifies", async () => {
    const long = 'p'.repeat(100); // SHA-256 first, so Django accepts passwords past 72 bytes here
    const digest = createHash('sha256').update(long).digest('hex');
    const django = `bcrypt_sha256$${await bcryptHash(digest, 4)}`;
    assert.deepEqual(await context.verifyPassword(long, django), { valid: true, needsRehash: true });
    assert.equal((await context.verifyPassword('p'.repeat(99), django)).valid, false);
    // The raw password against the same inner hash must not verify (it is not the sha256 scheme).
    assert.equal((await context.verifyPassword(digest, django)).valid, false);
  });

  test('input over 72 bytes is refused, not truncated: two passwords sharing 72 bytes do not both verify', async () => {
    const first72 = 'x'.repeat(72);
    // What a truncating hasher (passlib's default) stores for any password starting with those 72 bytes.
    const hashed = await bcryptHash(first72, 4);
    assert.equal((await context.verifyPassword(first72, hashed)).valid, true, 'exactly 72 bytes is fine');
    assert.equal((await context.verifyPassword(`${first72}A`, hashed)).valid, false);
    assert.equal((await context.verifyPassword(`${first72}B`, hashed)).valid, false);
    // Bytes, not characters: 36 × "é" is 72 bytes, 37 is 74.
    const accented = await bcryptHash('é'.repeat(36), 4);
    assert.equal((await context.verifyPassword('é'.repeat(36), accented)).valid, true);
    assert.equal((await context.verifyPassword('é'.repeat(37), accented)).valid, false);
  });
});

describe('PasswordContext: off the event loop', () => {
  test('hashing and verifying yield to the event loop (the work runs on the thread pool)', async () => {
    const real = new PasswordContext();
    let ticked = false;
    const hashing = real.hashPassword(PASSWORD);
    setImmediate(() => {
      ticked = true;
    });
    const hashed = await hashing;
    assert.equal(ticked, true, 'a synchronous hash would have resolved before the event loop turned');
    ticked = false;
    const verifying = real.verifyPassword(PASSWORD, hashed);
    setImmediate(() => {
      ticked = true;
    });
    assert.equal((await verifying).valid, true);
    assert.equal(ticked, true);
  });
});

describe('PasswordContext: dummy verification', () => {
  test('verifyDummy completes for any input and never throws', async () => {
    await context.verifyDummy(PASSWORD);
    await context.verifyDummy('');
    await context.verifyDummy('\u0000'.repeat(10));
  });
});
