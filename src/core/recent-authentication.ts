import type { AccountService } from './account-service.js';
import type { AuthService, Session } from './auth-service.js';
import { AuthError } from './errors.js';
import type { SecondFactor, SpentCode } from './second-factor.js';
import type { Throttle } from './throttle.js';
import type { User } from './user.js';

/**
 * What re-authentication needs of a passkey capability (src/features/passkeys implements it),
 * so the kernel can take a passkey as proof without importing that capability.
 */
export interface PasskeyAssertions {
  /**
   * The active owner of the passkey that made `assertion` against `challenge` (single use);
   * throws a 400 `PASSKEY_INVALID` {@link AuthError} for anything else.
   */
  authenticate(assertion: never, challenge: string | undefined): Promise<User>;
}

/** What a signed-in user shows to prove it is still them: the password, a one-time code, or a passkey. */
export type ReauthenticationProof =
  | { currentPassword: string }
  | { otp: string }
  /** An assertion against the challenge of `POST /passkeys/login/options`, bound to this browser. */
  | { passkey: { id: string }; challenge: string | undefined };

/**
 * Recent authentication (GitHub's "sudo mode"; OWASP ASVS 5.0 V7.5, NIST SP 800-63B §7.2): a
 * session counts as recently authenticated for `reauthenticationWindow` seconds after it proved a
 * factor — its sign-in, or {@link reauthenticate}. Adding a way into the account asks for it, so
 * a session taken from a browser (a stolen cookie, an unlocked laptop) cannot quietly plant a
 * credential that outlives a password change. The time is read from the database on every check,
 * never from a cache: the question is rare and decides something lasting.
 */
export class RecentAuthentication {
  private readonly auth: AuthService;
  private readonly account: AccountService;
  private readonly secondFactor: SecondFactor;
  private readonly passkeys: PasskeyAssertions | undefined;
  private readonly throttle: Throttle;

  constructor(services: { auth: AuthService; account: AccountService; secondFactor: SecondFactor; passkeys?: PasskeyAssertions; throttle: Throttle }) {
    this.auth = services.auth;
    this.account = services.account;
    this.secondFactor = services.secondFactor;
    this.passkeys = services.passkeys;
    this.throttle = services.throttle;
  }

  /** Whether the session proved a factor within the window. */
  async isRecent(session: Session): Promise<boolean> {
    const now = this.auth.options.now();
    const found = await this.auth.store.findSession(session.digest, now);
    return found !== null && now.getTime() - found.token.authenticatedAt.getTime() < this.auth.options.reauthenticationWindow * 1000;
  }

  /**
   * Admits a request that adds a way in: 403 `REAUTHENTICATION_REQUIRED` unless the session is
   * recently authenticated. A request that carries the right `currentPassword` itself counts
   * (and re-authenticates the session); a wrong one is 401, throttled as any current-password check.
   */
  async require(session: Session, currentPassword: string | undefined, from: { ip: string }): Promise<void> {
    if (currentPassword !== undefined) return this.reauthenticate(session, { currentPassword }, from);
    if (!(await this.isRecent(session))) throw new AuthError('REAUTHENTICATION_REQUIRED');
  }

  /**
   * Checks a proof and restarts the session's window. Each proof is throttled as the same proof
   * at sign-in (OWASP Authentication CS, "Protect against automated attacks"), so a stolen session
   * is no unthrottled oracle: the password by the current-password counters, a code by the
   * user's code counter (shared with the TOTP routes), a passkey by the passkey sign-in counters.
   * A wrong password is 401 `INVALID_CURRENT_PASSWORD`; a wrong code or passkey 401
   * `REAUTHENTICATION_FAILED`; a code without a second factor 400 `TOTP_NOT_ENABLED`.
   */
  async reauthenticate(session: Session, proof: ReauthenticationProof, from: { ip: string }, spent?: SpentCode): Promise<void> {
    const userId = session.user.id;
    if ('currentPassword' in proof) {
      await this.account.requireCurrentPassword(session, proof.currentPassword, from);
    } else if ('otp' in proof) {
      if (!(await this.secondFactor.isEnabled(userId))) throw new AuthError('TOTP_NOT_ENABLED');
      const keys = this.throttle.oneTimeCodeKeys(userId);
      await this.throttle.consume(keys);
      if (!(await this.secondFactor.verifyCode(userId, proof.otp, spent))) throw new AuthError('REAUTHENTICATION_FAILED');
      await this.throttle.reset(keys);
    } else {
      if (!this.passkeys) throw new AuthError('REAUTHENTICATION_FAILED');
      const keys = this.throttle.passkeyLoginKeys(proof.passkey.id, from.ip);
      await this.throttle.consume(keys);
      const owner = await this.passkeys.authenticate(proof.passkey as never, proof.challenge).catch((error: unknown) => {
        if (error instanceof AuthError && error.code === 'PASSKEY_INVALID') return null;
        throw error;
      });
      // Someone else's passkey proves someone else.
      if (owner?.id !== userId) throw new AuthError('REAUTHENTICATION_FAILED');
      await this.throttle.reset(keys);
    }
    if (!(await this.auth.store.reauthenticateToken(session.digest, this.auth.options.now()))) throw new AuthError('NOT_AUTHENTICATED');
  }
}
