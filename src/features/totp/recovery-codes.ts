import { randomBytes } from 'node:crypto';
import { digestToken } from '../../core/token.js';

/** Codes given when TOTP is enabled: enough for years of lost phones, few enough to print. */
export const RECOVERY_CODE_COUNT = 10;
/** Characters per code; 16 of a 32-letter alphabet is 80 bits (NIST SP 800-63B §5.1.2: at least 64). */
const CODE_LENGTH = 16;
/** Lower-case RFC 4648 base32 without 0/1/8/9 ambiguity: letters a–z and digits 2–7. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Fresh codes, written `xxxx-xxxx-xxxx-xxxx` for reading aloud and typing. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    // 32 divides 256: taking each byte modulo 32 is uniform.
    const chars = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte % 32]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** A code as typed, reduced to its characters (case, spaces and dashes do not matter); `null` if it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]/g, '');
  return code.length === CODE_LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : null;
}

/**
 * The digest a recovery code is stored under. SHA-256 is enough (no slow hash): an 80-bit random
 * code cannot be found from its digest by guessing, as with our tokens.
 */
export function digestRecoveryCode(normalized: string): string {
  return digestToken(`recovery-code:${normalized}`);
}
