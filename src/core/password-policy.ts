import { dictionary } from '@zxcvbn-ts/language-common';

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

// 49k passwords from public breach corpora, shipped and maintained by zxcvbn-ts.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary as Record<string, string[]>)['passwords-common'] ?? [],
);

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
  if (COMMON_PASSWORDS.has(lowered)) return 'Password is too common';
  if (email !== undefined && lowered === email.toLowerCase()) return 'Password should not be the email';
  return null;
}
