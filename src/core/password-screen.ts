/**
 * A check of a new password against something outside the policy — a list of passwords known
 * from breaches (NIST SP 800-63B-4 §3.1.1.2, docs/breached-passwords.md). The kernel knows only
 * this interface; a capability provides it and registers it on the {@link AuthService}.
 */
export interface PasswordScreen {
  /**
   * The reason the (NFKC-normalised) password is refused, or `null` when it passes. Must not
   * throw for an outage: a screen decides itself whether to fail open, and logs it.
   */
  screen(password: string): Promise<string | null>;
}
