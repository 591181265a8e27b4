import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { macFor, verifyMac } from '../../src/core/keyed-mac.js';

const KEY = 'k'.repeat(40);
const OLD = 'o'.repeat(40);

describe('keyed MACs', () => {
  test('a MAC verifies under the key that made it, also as a fallback key, and under no other', () => {
    const mac = macFor(OLD, 'purpose!', 'message');
    assert.equal(verifyMac([KEY, OLD], 'purpose!', 'message', mac), true);
    assert.equal(verifyMac([KEY], 'purpose!', 'message', mac), false);
  });

  test('a MAC made for one purpose or message does not verify for another', () => {
    const mac = macFor(KEY, 'oauth-flow!', 'payload');
    assert.equal(verifyMac([KEY], 'pending-sign-in!', 'payload', mac), false);
    assert.equal(verifyMac([KEY], 'oauth-flow!', 'payload2', mac), false);
    assert.equal(verifyMac([KEY], 'oauth-flow!', 'payload', mac.slice(1) + 'A'), false);
  });

  test('the label is a prefix of the signed bytes: an empty label signs exactly as before (CSRF tokens already issued stay valid)', () => {
    assert.equal(macFor(KEY, '', 'digest!random'), createHmac('sha256', KEY).update('digest!random').digest('base64url'));
    assert.equal(macFor(KEY, 'pending-sign-in!', '7!123'), createHmac('sha256', KEY).update('pending-sign-in!7!123').digest('base64url'));
  });
});
