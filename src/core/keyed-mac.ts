import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from './token.js';

/**
 * HMAC-SHA256 (base64url) of `purpose` followed by `message` under `key`. Each use of the secret
 * key signs under its own purpose label (`'oauth-flow!'`, `'pending-sign-in!'`), so a MAC made for
 * one use never verifies for another (NIST SP 800-108's domain separation, in its simplest form).
 */
export function macFor(key: string, purpose: string, message: string): string {
  return createHmac('sha256', keyObjectOf(key)).update(purpose).update(message).digest('base64url');
}

/**
 * Keys imported once: `createHmac` with a string imports the key on every call, a third of an
 * HMAC's cost, and a CSRF check runs one per unsafe request (docs/BENCHMARKS.md). A process holds
 * a handful of keys (the secret and its fallbacks); the bound only guards against a caller that
 * passes many.
 */
const imported = new Map<string, KeyObject>();
const MAX_IMPORTED_KEYS = 16;

function keyObjectOf(key: string): KeyObject {
  let object = imported.get(key);
  if (object === undefined) {
    if (imported.size >= MAX_IMPORTED_KEYS) imported.clear();
    object = createSecretKey(Buffer.from(key, 'utf8'));
    imported.set(key, object);
  }
  return object;
}

/**
 * True when one of `keys` (the current secret key, then its fallbacks during a rotation) made
 * `mac` for this purpose and message. Every key is tried and compared in constant time, so the
 * work is the same whichever key, if any, matches.
 */
export function verifyMac(keys: readonly string[], purpose: string, message: string, mac: string): boolean {
  let valid = false;
  for (const key of keys) valid = constantTimeEqual(macFor(key, purpose, message), mac) || valid;
  return valid;
}
