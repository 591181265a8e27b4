import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './token.js';

/**
 * HMAC-SHA256 (base64url) of `purpose` followed by `message` under `key`. Each use of the secret
 * key signs under its own purpose label (`'oauth-flow!'`, `'pending-sign-in!'`), so a MAC made for
 * one use never verifies for another (NIST SP 800-108's domain separation, in its simplest form).
 */
export function macFor(key: string, purpose: string, message: string): string {
  return createHmac('sha256', key).update(purpose).update(message).digest('base64url');
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
