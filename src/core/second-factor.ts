import type { User } from './user.js';

/**
 * The verdict on the second factor of a sign-in whose first factor was right: `none` (the user
 * has no second factor), `ok` (a good code), `required` (a second factor and no code given),
 * `bad` (a wrong, reused or malformed code).
 */
export type SecondFactorVerdict = 'none' | 'ok' | 'required' | 'bad';

/** What a good code spent, filled in by {@link SecondFactor.checkSignIn} and {@link SecondFactor.verifyCode} for the audit log: a recovery code, and how many are left. */
export interface SpentCode {
  recoveryCodesLeft?: number;
}

/**
 * What sign-in needs to know of a second factor, and all it knows: a capability that provides one
 * (TOTP, src/features/totp) implements it, so the kernel decides "second factor required"
 * without importing that capability (docs/architecture.md, "Capabilities").
 */
export interface SecondFactor {
  /**
   * The verdict for `user` with the code given (`undefined` for none). Called only after the
   * first factor passed, so a wrong password costs the same with or without a second factor.
   */
  checkSignIn(user: User, otp: string | undefined, spent?: SpentCode): Promise<SecondFactorVerdict>;
  /** Whether the user has a second factor to finish a pending sign-in with. */
  isEnabled(userId: number): Promise<boolean>;
  /**
   * Spends a code of the user's second factor outside sign-in (re-authentication,
   * docs/security.md): false when they have none, or the code is wrong or spent.
   */
  verifyCode(userId: number, code: string, spent?: SpentCode): Promise<boolean>;
}

/** No second factor configured: every sign-in is complete after its first factor. */
export const NO_SECOND_FACTOR: SecondFactor = {
  checkSignIn: async () => 'none',
  isEnabled: async () => false,
  verifyCode: async () => false,
};
