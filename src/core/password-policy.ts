import { createRequire } from 'node:module';

/** NIST SP 800-63B-4 §3.1.1.2: at least 15 characters for single-factor passwords. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 15;
/** Long enough for passphrases and managers, short enough to bound hashing cost. */
export const DEFAULT_PASSWORD_MAX_LENGTH = 1024;
/** No configuration may go below this (ASVS 5 6.2.1). */
export const ABSOLUTE_PASSWORD_MIN_LENGTH = 8;

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

let commonPasswords: ReadonlySet<string> | undefined;

/**
 * 49k passwords from public breach corpora, shipped and maintained by zxcvbn-ts. Loaded on the
 * first password check rather than at import: unpacking it is a tenth of the server's start-up,
 * and a process that only serves sessions never needs it (docs/BENCHMARKS.md, row 6).
 */
function common(): ReadonlySet<string> {
  if (commonPasswords === undefined) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    commonPasswords = new Set(dictionary['passwords-common'] ?? []);
  }
  return commonPasswords;
}

/**
 * The form a password is hashed and compared in: Unicode NFKC, so the same characters typed on
 * different keyboards match (SP 800-63B-4 §3.1.1.2). Nothing is trimmed or case-folded.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Checks a normalised password against the policy. Returns the reason it is refused, or `null`
 * when it is acceptable. No composition rules (SP 800-63B-4: they do not help).
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy, email?: string): string | null {
  const length = [...password].length; // code points, not UTF-16 units
  if (length < policy.minLength) return `Password should be at least ${policy.minLength} characters`;
  if (length > policy.maxLength) return `Password should be at most ${policy.maxLength} characters`;
  const lowered = password.toLowerCase();
  if (common().has(lowered)) return 'Password is too common';
  if (email !== undefined && lowered === email.toLowerCase()) return 'Password should not be the email';
  return null;
}
