import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { constantTimeEqual, digestToken, generateToken, looksLikeToken, sessionIdOf, TOKEN_BYTES } from '../../src/core/token.js';

describe('tokens', () => {
  test('generateToken: 32 CSPRNG bytes as 43 base64url characters', () => {
    assert.equal(TOKEN_BYTES, 32);
    const token = generateToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, 'base64url').length, 32);
  });

  test('generateToken: 10 000 tokens are all distinct and use the whole alphabet', () => {
    const tokens = new Set<string>();
    const alphabet = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = generateToken();
      tokens.add(token);
      for (const char of token) alphabet.add(char);
    }
    assert.equal(tokens.size, 10_000);
    assert.equal(alphabet.size, 64, 'all 64 base64url symbols appear; no padding or +/');
  });

  test('digestToken is the SHA-256 hex digest', () => {
    assert.equal(digestToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateToken();
    assert.equal(digestToken(token), createHash('sha256').update(token).digest('hex'));
    assert.match(digestToken(token), /^[0-9a-f]{64}$/);
    assert.notEqual(digestToken(token), token);
  });

  test('sessionIdOf is stable, short, and neither the digest nor the token', () => {
    const token = generateToken();
    const digest = digestToken(token);
    assert.equal(sessionIdOf(digest), sessionIdOf(digest));
    assert.match(sessionIdOf(digest), /^[A-Za-z0-9_-]{22}$/);
    assert.ok(!digest.includes(sessionIdOf(digest)) && !token.includes(sessionIdOf(digest)));
  });

  test('constantTimeEqual: equal, different content, different lengths, empty, multi-byte', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', ''), true);
    assert.equal(constantTimeEqual('', 'a'), false);
    assert.equal(constantTimeEqual('é', 'é'), true);
    assert.equal(constantTimeEqual('é', 'e'), false);
  });

  test('looksLikeToken accepts only 43 base64url characters', () => {
    assert.equal(looksLikeToken(generateToken()), true);
    assert.equal(looksLikeToken('a'.repeat(43)), true);
    for (const value of [
      '',
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)}+`,
      `${'a'.repeat(42)}/`,
      `${'a'.repeat(42)} `,
      `${'a'.repeat(42)}\n`,
      `' OR 1=1 --${'a'.repeat(32)}`,
    ]) {
      assert.equal(looksLikeToken(value), false, JSON.stringify(value));
    }
  });
});
