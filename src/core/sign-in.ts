import { type AuditLog, NO_AUDIT_LOG, type SignInMethod } from './audit.js';
import type { AuthService, ClientInfo, IssuedToken } from './auth-service.js';
import { normalizeEmail } from './email.js';
import { AuthError, ERRORS, type ErrorCode } from './errors.js';
import type { SecondFactor, SpentCode } from './second-factor.js';
import type { Throttle, ThrottleKey } from './throttle.js';
import type { User } from './user.js';

/**
 * Authentication method references (RFC 8176 §2) a session records: `pwd` a password, `otp` a
 * one-time code (TOTP or recovery code), `hwk` a key held in hardware (a passkey), `fed` an
 * identity provider's assertion, and `email` — not in RFC 8176's registry, which RFC 8176 §2
 * allows between parties that agree on it — a link or code mailed to the user's address
 * (docs/email-sign-in.md, "amr": `otp` would make it look like a second factor).
 */
export type AuthenticationMethod = 'pwd' | 'otp' | 'hwk' | 'fed' | 'email';

/** What a way in proved: whose factor, by which method, and what is left of the second factor. */
export interface SignInProof {
  user: User;
  /** The methods the proof stands for, e.g. `['pwd']`, `['hwk']`. */
  amr: readonly AuthenticationMethod[];
  /**
   * How the second factor is decided: `{ otp }` asks the second factor with the code the client
   * gave (if any; none and one is needed is "second factor required"); `{ otp, required: true }`
   * is a pending sign-in finishing, where anything but a good code fails; `'covered'` is a proof
   * that is both factors at once (a passkey with user verification).
   */
  secondFactor: { otp: string | undefined; required?: true } | 'covered';
  /**
   * A single-use proof claims itself here, once its factors are checked and before a session
   * opens, and throws a registered error when it was claimed already.
   */
  claim?: () => Promise<void>;
  /**
   * The proof was made inside the caller's open session, to add a way in to it (an identity
   * provider linked while signed in): its counters are settled as for a success, and no session
   * opens.
   */
  keepSession?: true;
  /**
   * The session is opened for `user` by a superuser for support (docs/audit.md, "Impersonation"):
   * marked with its impersonator, capped at {@link IMPERSONATION_LIFETIME_SECONDS}, and recorded as
   * `impersonation.started` by that superuser instead of as the user's own sign-in.
   */
  impersonation?: { impersonatorId: number; reason: string };
}

/** Charges more counters, named by what the proof has revealed so far (a provider's subject). */
export type ChargeMore = (keys: readonly ThrottleKey[]) => Promise<void>;

/** One sign-in attempt, as a way in describes it to {@link SignInPipeline.signIn}. */
export interface SignInAttempt {
  /** The way in, as the audit log names it (`password`, `passkey`, `provider`, …). */
  method: SignInMethod;
  /** Charged before `prove` runs: 429 before any hashing or verification work. */
  keys: readonly ThrottleKey[];
  /**
   * The proof of the first factor: what it proved, or `null` (answered with `failure`); it may
   * throw a registered error instead. Either way every counter charged keeps its charge.
   */
  prove(chargeMore: ChargeMore): Promise<SignInProof | null>;
  /** The error of a `null` proof. */
  failure: ErrorCode;
  /**
   * Whose account a failed proof was aimed at, when the way in can tell (an email was given); for
   * the audit log only, so the user can see attempts on their account. Absent: no subject.
   */
  subjectOnFailure?: () => Promise<number | null>;
  /** Who makes the attempt when it is not the subject (a superuser impersonating); recorded as the actor of a refusal. */
  actorUserId?: number;
}

/**
 * Longest an impersonation session lives: long enough for a support call, short enough that a
 * forgotten one ends by itself (OWASP Session Management CS, "Session Expiration": shorter
 * lifetimes for high-privilege sessions).
 */
export const IMPERSONATION_LIFETIME_SECONDS = 15 * 60;

/** How a sign-in ended: a session opened, or the first factor passed and the second is still due. */
export type SignInResult =
  | { kind: 'session'; user: User; issued: IssuedToken; amr: readonly AuthenticationMethod[]; impersonation?: SignInProof['impersonation'] }
  | { kind: 'second-factor-required'; user: User; amr: readonly AuthenticationMethod[] }
  | { kind: 'session-kept'; user: User };

/**
 * The one sign-in pipeline (docs/architecture.md, "Sign-in"): every way in — password, pending
 * second factor, passkey, identity provider, email link, impersonation — describes its attempt and hands it here, and this
 * alone charges the throttle, decides the second factor, clears or refunds the counters, records
 * `amr` and opens the session. The rules (docs/security-throttling.md):
 *
 * - the attempt's counters are charged before its proof (OWASP Authentication CS, "Protect
 *   against automated attacks"): during a throttle even the right password is 429, unhashed;
 * - a failed proof or a bad second factor keeps every charge;
 * - a right first factor whose second is still due is neither a failure nor a success: each
 *   counter gets its charge back and none is cleared (a wrong-code count must not reset);
 * - a session clears the counters marked `clearOnSuccess` and refunds the others.
 */
export class SignInPipeline {
  private readonly auth: AuthService;
  private readonly throttle: Throttle;
  private readonly secondFactor: SecondFactor;
  private readonly audit: AuditLog;

  /** `audit`: where each opened session and each failed proof is recorded (docs/audit.md); default nowhere. */
  constructor(auth: AuthService, throttle: Throttle, secondFactor: SecondFactor, audit: AuditLog = NO_AUDIT_LOG) {
    this.auth = auth;
    this.throttle = throttle;
    this.secondFactor = secondFactor;
    this.audit = audit;
  }

  /**
   * Runs one attempt to its end; `client` is where the session is opened from. Every session it
   * opens is recorded as `sign_in.succeeded`, every refused proof as `sign_in.failed` (OWASP
   * Logging CS: authentication successes and failures); a throttled attempt (429) is not, so a
   * flood of refused requests costs no write each.
   */
  async signIn(attempt: SignInAttempt, client: ClientInfo): Promise<SignInResult> {
    const known: { user: User | null } = { user: null };
    let result: SignInResult;
    try {
      result = await this.run(attempt, client, known);
    } catch (error) {
      if (error instanceof AuthError && isRefusal(error.code)) {
        const subject = known.user?.id ?? (await attempt.subjectOnFailure?.()) ?? null;
        await this.audit.record({
          type: 'sign_in.failed',
          actorUserId: attempt.actorUserId ?? null,
          subjectUserId: subject,
          ip: client.ip ?? null,
          userAgent: client.userAgent ?? null,
          detail: { method: attempt.method, reason: error.code },
        });
      }
      throw error;
    }
    if (result.kind === 'session' && result.impersonation) {
      const expiresAt = new Date(this.auth.options.now().getTime() + result.issued.expiresIn * 1000);
      await this.audit.record({
        type: 'impersonation.started',
        actorUserId: result.impersonation.impersonatorId,
        subjectUserId: result.user.id,
        ip: client.ip ?? null,
        userAgent: client.userAgent ?? null,
        detail: { reason: result.impersonation.reason, expires_at: expiresAt.toISOString() },
      });
    } else if (result.kind === 'session') {
      await this.audit.record({
        type: 'sign_in.succeeded',
        actorUserId: result.user.id,
        subjectUserId: result.user.id,
        ip: client.ip ?? null,
        userAgent: client.userAgent ?? null,
        detail: { method: attempt.method, amr: [...result.amr] },
      });
    }
    return result;
  }

  private async run(attempt: SignInAttempt, client: ClientInfo, known: { user: User | null }): Promise<SignInResult> {
    const charged: ThrottleKey[] = [...attempt.keys];
    await this.throttle.consume(charged);
    const proof = await attempt.prove(async (keys) => {
      await this.throttle.consume([...keys]);
      charged.push(...keys);
    });
    if (!proof) throw new AuthError(attempt.failure);
    const { user } = proof;
    known.user = user;
    if (proof.keepSession) {
      await this.throttle.reset(charged);
      return { kind: 'session-kept', user };
    }
    let amr = proof.amr;
    if (proof.secondFactor !== 'covered') {
      const { otp, required } = proof.secondFactor;
      const spent: SpentCode = {};
      const verdict = await this.secondFactor.checkSignIn(user, otp, spent);
      if (spent.recoveryCodesLeft !== undefined) {
        // Spent even if the sign-in then fails: the user must see that a code is gone.
        await this.audit.record({
          type: 'recovery_code.used',
          actorUserId: user.id,
          subjectUserId: user.id,
          ip: client.ip ?? null,
          userAgent: client.userAgent ?? null,
          detail: { remaining: spent.recoveryCodesLeft },
        });
      }
      if (verdict === 'bad' || (required && verdict !== 'ok')) throw new AuthError('LOGIN_BAD_OTP');
      if (verdict === 'required') {
        await this.throttle.refund(charged);
        return { kind: 'second-factor-required', user, amr };
      }
      if (verdict === 'ok') amr = [...amr, 'otp'];
    }
    await proof.claim?.();
    await this.throttle.reset(charged);
    const { impersonation } = proof;
    if (impersonation) {
      const issued = await this.auth.issueToken(user, client, {
        amr,
        impersonatorId: impersonation.impersonatorId,
        maxLifetime: IMPERSONATION_LIFETIME_SECONDS,
      });
      return { kind: 'session', user, issued, amr, impersonation };
    }
    const issued = await this.auth.issueToken(user, client, { amr });
    return { kind: 'session', user, issued, amr };
  }

  /**
   * A password, and the code when the client sends one with it (`/token`, `/login`): counted
   * per email, per email and address, and per address. The password is checked before anything
   * about the second factor is read, so a wrong password costs the same with or without one.
   */
  passwordAttempt(identifier: string, password: string, otp: string | undefined, from: { ip: string }): SignInAttempt {
    return {
      method: 'password',
      keys: this.throttle.loginKeys(identifier, from.ip),
      failure: 'LOGIN_BAD_CREDENTIALS',
      // Asked only after the proof failed, for unknown and known emails alike (the same query).
      subjectOnFailure: async () => (await this.auth.store.findUserByEmail(normalizeEmail(identifier)))?.id ?? null,
      prove: async () => {
        const user = await this.auth.authenticate(identifier, password, from);
        return user && { user, amr: ['pwd'], secondFactor: { otp } };
      },
    };
  }

  /**
   * The code that finishes a pending sign-in (`/login/otp`), for `user` whose first factor
   * (`firstFactor`) passed earlier: the same counters as a password for this account, since
   * guessing codes here is guessing a login. `claim` spends the pending sign-in, once.
   */
  pendingAttempt(user: User, firstFactor: readonly AuthenticationMethod[], otp: string, from: { ip: string }, claim: () => Promise<void>): SignInAttempt {
    return {
      method: 'otp',
      keys: this.throttle.loginKeys(user.email, from.ip),
      failure: 'LOGIN_BAD_OTP',
      prove: async () => ({ user, amr: firstFactor, secondFactor: { otp, required: true }, claim }),
    };
  }

  /**
   * A superuser (`actor`, in their own session) opening a read-only session as user `userId` for
   * support (docs/audit.md, "Impersonation"). The proof is the superuser's session, which the
   * route has checked; what is decided here is whom it may be for: never a superuser (that would
   * lend one superuser's powers to another under a borrowed name), never an inactive user, and
   * never from inside an impersonation (it would hide the real actor). No counters: the actor is
   * a signed-in superuser, and every attempt is recorded with them as actor.
   */
  impersonationAttempt(actor: { user: User; impersonatorId?: number }, userId: number, reason: string): SignInAttempt {
    return {
      method: 'impersonation',
      keys: [],
      failure: 'USER_NOT_FOUND',
      actorUserId: actor.impersonatorId ?? actor.user.id,
      subjectOnFailure: async () => (await this.auth.store.findUserById(userId))?.id ?? null,
      prove: async () => {
        if (actor.impersonatorId !== undefined) throw new AuthError('IMPERSONATION_READ_ONLY');
        const user = await this.auth.store.findUserById(userId);
        if (!user) return null;
        if (user.isSuperuser) throw new AuthError('IMPERSONATION_FORBIDDEN', 'A superuser cannot be impersonated');
        if (!user.isActive) throw new AuthError('IMPERSONATION_FORBIDDEN', 'The user is inactive');
        return { user, amr: [], secondFactor: 'covered', impersonation: { impersonatorId: actor.user.id, reason } };
      },
    };
  }
}

/**
 * Whether an error refuses the attempt (a wrong or invalid proof: 4xx other than 429), rather
 * than throttling it or failing on our side (5xx).
 */
function isRefusal(code: ErrorCode): boolean {
  const status = ERRORS[code].status;
  return status >= 400 && status < 500 && status !== 429;
}
