import { createHash } from 'node:crypto';
import type { ActionPurpose, ActionTokenRecord } from './store.js';
import type { AuthService } from './auth-service.js';
import { normalizeEmail } from './email.js';
import { AuthError, ConfigError } from './errors.js';
import { resetPasswordMail, verifyEmailMail, type MailMessage } from './mail.js';
import { constantTimeEqual, digestToken, generateToken, looksLikeToken } from './token.js';
import type { User } from './user.js';

/** A reset link lives 1 hour (docs/api.md; OWASP Forgot Password CS: short-lived). */
export const DEFAULT_RESET_PASSWORD_TOKEN_LIFETIME = 3600;
/** A verification link lives 24 hours (docs/api.md). */
export const DEFAULT_VERIFY_TOKEN_LIFETIME = 86_400;
/** Where the web page handles each link; the token is in the fragment, which browsers never send. */
export const RESET_PASSWORD_LINK_PATH = '/#/reset-password?token=';
export const VERIFY_LINK_PATH = '/#/verify?token=';

/** Settings of the reset and verification flows. */
export interface AccountTokenOptions {
  /** Seconds a password-reset token lives; default 3600. */
  resetPasswordTokenLifetime?: number;
  /** Seconds an email-verification token lives; default 86400. */
  verifyTokenLifetime?: number;
}

/** Fingerprint of a password hash: a reset token carries it and dies when the password changes. */
export function passwordFingerprint(hashedPassword: string): string {
  return createHash('sha256').update(hashedPassword).digest('hex');
}

/**
 * Password reset and email verification (fastapi-users' flows): 32-byte single-use tokens kept
 * as digests. Requests return the mail to send (or `null`, which the caller must not reveal);
 * redemptions throw the registered `…_BAD_TOKEN` errors.
 */
export class AccountTokens {
  private readonly auth: AuthService;
  private readonly linkBase: string;
  private readonly resetLifetime: number;
  private readonly verifyLifetime: number;

  /** `linkBase` is the public URL of the service (never the request's `Host`, OWASP Forgot Password CS). */
  constructor(auth: AuthService, linkBase: string, options: AccountTokenOptions = {}) {
    this.auth = auth;
    this.linkBase = linkBase.replace(/\/$/, '');
    ({ resetPasswordTokenLifetime: this.resetLifetime, verifyTokenLifetime: this.verifyLifetime } = resolveAccountTokenOptions(options));
  }

  /** The reset mail for an active account with this email, or `null` (unknown or inactive). */
  async forgotPassword(email: string): Promise<MailMessage | null> {
    const user = await this.auth.store.findUserByEmail(normalizeEmail(email));
    if (!user || !user.isActive) return null;
    const token = await this.issue(user, 'reset', this.resetLifetime);
    // The mail goes to the stored address, not to what was typed (they differ in case or spaces).
    return resetPasswordMail(user.email, `${this.linkBase}${RESET_PASSWORD_LINK_PATH}${token}`, this.resetLifetime);
  }

  /**
   * Sets a new password with a reset token. The token is checked (unexpired, unused, and the
   * user's email and password still those it was issued for), then the password policy (a
   * refused password keeps the token usable), then the token is consumed atomically and the hash
   * replaced only if it is still the one the token was issued for. Every session is revoked and
   * no new one is issued (the user logs in with the new password).
   */
  async resetPassword(token: string, password: string): Promise<User> {
    const bad = new AuthError('RESET_PASSWORD_BAD_TOKEN');
    const record = await this.find(token, 'reset');
    if (!record) throw bad;
    const user = await this.auth.store.findUserById(record.userId);
    // Bound to the mailbox and the password it was issued for: after an email change, whoever
    // reads the old mailbox no longer controls the account (OWASP Forgot Password CS).
    if (!user || !user.isActive || user.email !== record.email || !sameFingerprint(record, user)) throw bad;
    const checked = await this.auth.checkNewPassword(password, user.email);
    if ('reason' in checked) throw new AuthError('RESET_PASSWORD_INVALID_PASSWORD', checked.reason);
    const hashedPassword = await this.auth.passwords.hashPassword(checked.password);
    if (!(await this.auth.store.consumeActionToken(record.digest, 'reset'))) throw bad;
    const now = this.auth.options.now();
    if (!(await this.auth.store.replacePasswordHash(user.id, user.hashedPassword, hashedPassword, now))) throw bad;
    await this.auth.store.deleteUserActionTokens(user.id, 'reset');
    await this.dropUnprovenLinks(user.id);
    await this.auth.revokeUserTokens(user.id);
    return { ...user, hashedPassword, updatedAt: now };
  }

  /** The verification mail for an active, unverified account with this email, or `null`. */
  async requestVerification(email: string): Promise<MailMessage | null> {
    const user = await this.auth.store.findUserByEmail(normalizeEmail(email));
    if (!user || !user.isActive || user.isVerified) return null;
    return this.verificationMail(user);
  }

  /** A verification mail for a user (also sent after registration or an email change, if wanted). */
  async verificationMail(user: User): Promise<MailMessage> {
    const token = await this.issue(user, 'verify', this.verifyLifetime);
    return verifyEmailMail(user.email, `${this.linkBase}${VERIFY_LINK_PATH}${token}`, this.verifyLifetime);
  }

  /** Marks the user verified; the token must be valid and the user's email the one it was sent to. */
  async verify(token: string): Promise<User> {
    const bad = new AuthError('VERIFY_USER_BAD_TOKEN');
    const record = await this.find(token, 'verify');
    if (!record) throw bad;
    const user = await this.auth.store.findUserById(record.userId);
    // Bound to the address: after an email change, a link sent to the old address proves nothing.
    if (!user || user.email !== record.email) throw bad;
    if (user.isVerified) throw new AuthError('VERIFY_USER_ALREADY_VERIFIED');
    if (!(await this.auth.store.consumeActionToken(record.digest, 'verify'))) throw bad;
    const updated = await this.auth.store.updateUser(user.id, { isVerified: true }, this.auth.options.now());
    if (!updated || updated === 'email-taken') throw bad;
    await this.dropUnprovenLinks(user.id);
    return updated;
  }

  /** Deletes expired reset and verification tokens. */
  async purgeExpired(): Promise<number> {
    return this.auth.store.deleteExpiredActionTokens(this.auth.options.now());
  }

  /**
   * The mailbox owner has just proved the address (a reset or verification link reached them):
   * provider identities linked from an email the provider never vouched for are dropped, so an
   * account someone opened or linked under this address without proving it does not stay theirs
   * once its owner takes it in hand (docs/oauth.md, "Who signs in: the linking rules").
   */
  private async dropUnprovenLinks(userId: number): Promise<void> {
    await this.auth.store.oauthAccounts.deleteUnverifiedOAuthAccounts(userId);
  }

  private async issue(user: User, purpose: ActionPurpose, lifetime: number): Promise<string> {
    const token = generateToken();
    const now = this.auth.options.now();
    await this.auth.store.createActionToken({
      digest: digestToken(token),
      purpose,
      userId: user.id,
      email: user.email,
      passwordFingerprint: purpose === 'reset' ? passwordFingerprint(user.hashedPassword) : null,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
      createdAt: now,
    });
    return token;
  }

  /** The unexpired record of a token, or `null`; an expired one is deleted on the way. */
  private async find(token: string, purpose: ActionPurpose): Promise<ActionTokenRecord | null> {
    if (!looksLikeToken(token)) return null;
    const record = await this.auth.store.findActionToken(digestToken(token), purpose);
    if (!record) return null;
    if (record.expiresAt.getTime() <= this.auth.options.now().getTime()) {
      await this.auth.store.consumeActionToken(record.digest, purpose);
      return null;
    }
    return record;
  }
}

function sameFingerprint(record: ActionTokenRecord, user: User): boolean {
  return record.passwordFingerprint !== null && constantTimeEqual(record.passwordFingerprint, passwordFingerprint(user.hashedPassword));
}

/** The token lifetimes with their defaults, each refused with a {@link ConfigError} unless a positive whole number. */
export function resolveAccountTokenOptions(options: AccountTokenOptions): Required<AccountTokenOptions> {
  return {
    resetPasswordTokenLifetime: positive('resetPasswordTokenLifetime', options.resetPasswordTokenLifetime ?? DEFAULT_RESET_PASSWORD_TOKEN_LIFETIME),
    verifyTokenLifetime: positive('verifyTokenLifetime', options.verifyTokenLifetime ?? DEFAULT_VERIFY_TOKEN_LIFETIME),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(name, 'must be a positive whole number of seconds');
  return value;
}
