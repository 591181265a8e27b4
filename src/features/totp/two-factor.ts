import type { AccountService } from '../../core/account-service.js';
import type { AuthService, Session } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import { parsePasswordHash } from '../../core/password-hash.js';
import type { SecondFactor, SecondFactorVerdict, SpentCode } from '../../core/second-factor.js';
import { digestRecoveryCode, generateRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.js';
import type { SecretBox } from '../../core/secret-box.js';
import { encodeTOTPSecret, generateTOTPSecret, matchTOTPStep, totpURI } from './totp.js';
import type { User } from '../../core/user.js';

/** What the set-up screen shows: the secret for typing, and the URI for a QR code. */
export interface TOTPEnrolment {
  secret: string;
  otpauthUrl: string;
}

/** Whether a user has TOTP, for their profile page. */
export interface TOTPStatus {
  enabled: boolean;
  recoveryCodesLeft: number;
}

const SIX_DIGITS = /^\d{6}$/;

/**
 * TOTP (RFC 6238) with recovery codes: enrolment with the current password, confirmation with a
 * first code, disabling with password and code, and the check at sign-in. The secret is kept
 * only sealed by {@link SecretBox}; every code is spent once, through the store's compare-and-set
 * on the last used step, whichever route or instance sees it (RFC 6238 §5.2). OWASP MFA CS.
 */
export class TwoFactorService implements SecondFactor {
  private readonly auth: AuthService;
  private readonly account: AccountService;
  private readonly box: SecretBox;
  private readonly issuer: string;

  /** `issuer` names the service in authenticator apps (the host of PUBLIC_URL); `account` checks current passwords (throttled). */
  constructor(auth: AuthService, account: AccountService, box: SecretBox, issuer: string) {
    this.auth = auth;
    this.account = account;
    this.box = box;
    this.issuer = issuer;
  }

  private get store() {
    return this.auth.store.secondFactor;
  }

  /** Whether TOTP is on for the caller, and how many recovery codes remain. */
  async status(userId: number): Promise<TOTPStatus> {
    const record = await this.store.findTOTP(userId);
    const enabled = record?.confirmed === true;
    return { enabled, recoveryCodesLeft: enabled ? await this.store.countRecoveryCodes(userId) : 0 };
  }

  /**
   * Starts (or restarts) an enrolment: a new secret, pending until {@link confirm}. Asks for the
   * current password (ASVS 6.2.3); an account without one (made by an identity provider) must set
   * one first, so that a second factor has a first one beside it.
   */
  async begin(session: Session, currentPassword: string, from: { ip: string }): Promise<TOTPEnrolment> {
    const fresh = await this.auth.store.findUserById(session.user.id);
    if (fresh && parsePasswordHash(fresh.hashedPassword) === null) throw new AuthError('TOTP_PASSWORD_REQUIRED');
    const user = await this.account.requireCurrentPassword(session, currentPassword, from);
    const secret = generateTOTPSecret();
    const saved = await this.store.savePendingTOTP(user.id, this.box.seal(secret, contextOf(user.id)), this.auth.options.now());
    if (!saved) throw new AuthError('TOTP_ALREADY_ENABLED');
    return { secret: encodeTOTPSecret(secret), otpauthUrl: totpURI(this.issuer, user.email, secret) };
  }

  /**
   * Confirms the pending enrolment with a first code; returns the recovery codes (shown once,
   * stored as digests) and ends every other session of the user (ASVS 7.4.3: a new factor is a
   * credential change).
   */
  async confirm(session: Session, code: string): Promise<string[]> {
    const userId = session.user.id;
    const record = await this.store.findTOTP(userId);
    if (!record) throw new AuthError('TOTP_NOT_PENDING');
    if (record.confirmed) throw new AuthError('TOTP_ALREADY_ENABLED');
    const secret = await this.openSecret(userId, record.encryptedSecret);
    const step = secret && SIX_DIGITS.test(code) ? matchTOTPStep(secret, code, this.auth.options.now()) : null;
    if (step === null || !(await this.store.useTOTPStep(userId, step, { confirm: true }))) throw new AuthError('TOTP_BAD_CODE');
    const codes = generateRecoveryCodes();
    await this.store.replaceRecoveryCodes(
      userId,
      codes.map((c) => digestRecoveryCode(normalizeRecoveryCode(c)!)),
      this.auth.options.now(),
    );
    await this.auth.revokeUserTokens(userId, session.digest);
    return codes;
  }

  /** Turns TOTP off, given the current password and a code (TOTP or recovery); recovery codes go with it. */
  async disable(session: Session, currentPassword: string, code: string, from: { ip: string }, spent?: SpentCode): Promise<void> {
    const user = await this.account.requireCurrentPassword(session, currentPassword, from);
    const record = await this.store.findTOTP(user.id);
    if (!record?.confirmed) throw new AuthError('TOTP_NOT_ENABLED');
    const how = await this.spend(user.id, record.encryptedSecret, code);
    if (!how) throw new AuthError('TOTP_BAD_CODE');
    if (how === 'recovery' && spent) spent.recoveryCodesLeft = await this.store.countRecoveryCodes(user.id);
    await this.store.deleteTOTP(user.id);
  }

  /**
   * The second factor of a sign-in whose password was already right. Called only after the
   * password check, so a wrong password costs the same whether or not the account has TOTP.
   */
  async checkSignIn(user: User, otp: string | undefined, spent?: SpentCode): Promise<SecondFactorVerdict> {
    const record = await this.store.findTOTP(user.id);
    if (!record?.confirmed) return 'none';
    if (otp === undefined || otp === '') return 'required';
    const how = await this.spend(user.id, record.encryptedSecret, otp);
    if (how === 'recovery' && spent) spent.recoveryCodesLeft = await this.store.countRecoveryCodes(user.id);
    return how ? 'ok' : 'bad';
  }

  /** Spends a code (TOTP or recovery) of a user whose TOTP is on; false when it is off or the code is wrong or spent. */
  async verifyCode(userId: number, code: string, spent?: SpentCode): Promise<boolean> {
    const record = await this.store.findTOTP(userId);
    if (record?.confirmed !== true) return false;
    const how = await this.spend(userId, record.encryptedSecret, code);
    if (how === 'recovery' && spent) spent.recoveryCodesLeft = await this.store.countRecoveryCodes(userId);
    return how !== false;
  }

  /** Whether TOTP is on for a user (a pending enrolment is not). */
  async isEnabled(userId: number): Promise<boolean> {
    return (await this.store.findTOTP(userId))?.confirmed === true;
  }

  /** Spends a TOTP code (once per step) or an unused recovery code, answering which; false for anything else. */
  private async spend(userId: number, encryptedSecret: string, code: string): Promise<'totp' | 'recovery' | false> {
    const trimmed = code.trim();
    if (SIX_DIGITS.test(trimmed)) {
      const secret = await this.openSecret(userId, encryptedSecret);
      const step = secret ? matchTOTPStep(secret, trimmed, this.auth.options.now()) : null;
      return step !== null && (await this.store.useTOTPStep(userId, step)) && 'totp';
    }
    const recovery = normalizeRecoveryCode(trimmed);
    return recovery !== null && (await this.store.useRecoveryCode(userId, digestRecoveryCode(recovery), this.auth.options.now())) && 'recovery';
  }

  /**
   * The secret in clear, or `null` when no configured key opens it (SECRET_KEY replaced without
   * keeping the old one in SECRET_KEY_FALLBACKS). A secret sealed with a fallback key is sealed
   * again with the current one, so the old key can be retired (docs/two-factor.md).
   */
  private async openSecret(userId: number, encryptedSecret: string): Promise<Uint8Array | null> {
    const opened = this.box.open(encryptedSecret, contextOf(userId));
    if (!opened) return null;
    if (opened.stale) {
      // Compare-and-set: of two concurrent re-encryptions one wins, and both ciphertexts open.
      await this.store.replaceTOTPSecret(userId, encryptedSecret, this.box.seal(opened.plaintext, contextOf(userId)));
    }
    return new Uint8Array(opened.plaintext);
  }
}

/** Additional authenticated data of a sealed secret: a ciphertext copied to another user does not open. */
function contextOf(userId: number): string {
  return `totp:${userId}`;
}
