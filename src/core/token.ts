import * as crypto from 'node:crypto';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Node ≥ 20.12's one-shot hash (no Hash object per call: it runs on every request); else the stream API. */
const sha256Hex: (input: string) => string =
  typeof crypto.hash === 'function' ? (input) => crypto.hash('sha256', input, 'hex') : (input) => createHash('sha256').update(input).digest('hex');

/** Bytes of CSPRNG output in every token we mint: 256 bits (OWASP Session Management CS). */
export const TOKEN_BYTES = 32;

/** A fresh opaque token: 32 bytes from the OS CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The SHA-256 digest (hex) under which a token is stored and looked up. Only digests are kept
 * at rest, so a leaked table cannot be replayed (Lucia's sessions guide, ASVS 7.2.1).
 * A plain hash suffices: the input has 256 bits of entropy, nothing to brute-force.
 */
export function digestToken(token: string): string {
  return sha256Hex(token);
}

/**
 * The public id of a session, derived from its digest: shown in session lists and used to end a
 * session, but it cannot be turned back into the digest, let alone the token.
 */
export function sessionIdOf(digest: string): string {
  return createHash('sha256').update('session-id:').update(digest).digest('base64url').slice(0, 22);
}

/** Constant-time string comparison (different lengths return false without early exit on content). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    // Compare against itself so the work does not depend on where the strings differ.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Syntactic check before any lookup: our tokens are 43 base64url characters. */
export function looksLikeToken(value: string): boolean {
  return value.length === 43 && /^[A-Za-z0-9_-]+$/.test(value);
}
