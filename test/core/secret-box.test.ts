import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SecretBox } from '../../src/core/secret-box.js';

const OLD = 'an-old-secret-key-that-is-long-enough-000000';
const NEW = 'a-new-secret-key-that-is-long-enough-1111111';
const plaintext = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);

describe('SecretBox (AES-256-GCM under an HKDF-derived key)', () => {
  test('seals to a fresh ciphertext each time and opens it again', () => {
    const box = new SecretBox([NEW], 'totp-secret');
    const a = box.seal(plaintext, 'totp:1');
    const b = box.seal(plaintext, 'totp:1');
    assert.notEqual(a, b, 'a random IV per value');
    assert.match(a, /^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    assert.deepEqual(box.open(a, 'totp:1'), { plaintext: Buffer.from(plaintext), stale: false });
  });

  test('does not open with another context, another purpose, another key, or once tampered', () => {
    const sealed = new SecretBox([NEW], 'totp-secret').seal(plaintext, 'totp:1');
    assert.equal(new SecretBox([NEW], 'totp-secret').open(sealed, 'totp:2'), null, 'copied to another user');
    assert.equal(new SecretBox([NEW], 'other-purpose').open(sealed, 'totp:1'), null, 'another derived key');
    assert.equal(new SecretBox([OLD], 'totp-secret').open(sealed, 'totp:1'), null, 'another secret key');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2]!, 'base64url');
    body[0]! ^= 1;
    assert.equal(new SecretBox([NEW], 'totp-secret').open([parts[0], parts[1], body.toString('base64url'), parts[3]].join('.'), 'totp:1'), null, 'tampered');
    for (const malformed of ['', 'v1', 'v2.a.b.c', 'v1.a.b.c', sealed.replace(/^v1/, 'v0')]) {
      assert.equal(new SecretBox([NEW], 'totp-secret').open(malformed, 'totp:1'), null, malformed);
    }
  });

  test('a fallback key opens what it sealed and says the value is stale', () => {
    const sealed = new SecretBox([OLD], 'totp-secret').seal(plaintext, 'totp:1');
    assert.deepEqual(new SecretBox([NEW, OLD], 'totp-secret').open(sealed, 'totp:1'), { plaintext: Buffer.from(plaintext), stale: true });
  });
});
