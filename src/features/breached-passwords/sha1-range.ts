import { createHash } from 'node:crypto';

/** Length of the prefix that names a range (and is all the range API ever sees). */
export const PREFIX_LENGTH = 5;
/** Length of the rest of a SHA-1 in hex: what a range's lines hold. */
export const SUFFIX_LENGTH = 35;
/** Every prefix there is: 16^5 range files in a complete folder. */
export const RANGE_COUNT = 16 ** PREFIX_LENGTH;

/** What a range lookup needs: the password's SHA-1 split, in upper-case hex as Have I Been Pwned writes it. */
export interface RangeKey {
  prefix: string;
  suffix: string;
}

/**
 * The SHA-1 of the password's UTF-8 bytes, split into range prefix and suffix. SHA-1 is what the
 * Pwned Passwords corpus is keyed by (k-anonymity model, docs/breached-passwords.md); it is used
 * here to look a password up, never to store one.
 */
export function rangeKeyOf(password: string): RangeKey {
  const hex = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  return { prefix: hex.slice(0, PREFIX_LENGTH), suffix: hex.slice(PREFIX_LENGTH) };
}

/** The prefix of range number `n` (0 … 16^5 − 1): `00000` … `FFFFF`. */
export function prefixOf(n: number): string {
  return n.toString(16).toUpperCase().padStart(PREFIX_LENGTH, '0');
}

/**
 * The count on a range line whose suffix is `suffix`, or 0. Lines are `SUFFIX:COUNT`, ended by
 * CRLF or LF; the API's padding lines (`Add-Padding: true`) carry a count of 0 and so never match.
 */
export function countInRange(text: string, suffix: string): number {
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.length > SUFFIX_LENGTH && line[SUFFIX_LENGTH] === ':' && line.slice(0, SUFFIX_LENGTH).toUpperCase() === suffix) {
      const count = Number(line.slice(SUFFIX_LENGTH + 1));
      return Number.isFinite(count) ? count : 0;
    }
  }
  return 0;
}
