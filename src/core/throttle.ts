import { createHash } from 'node:crypto';
import { CounterStoreFullError, type CounterStore } from './store.js';
import { clientKey } from './client-address.js';
import { normalizeEmail } from './email.js';
import { AuthError, ConfigError } from './errors.js';

/** Brute-force defaults (docs/security.md): 5 / 10 / 100 failures per 15 minutes, 20 registrations per hour. */
export const DEFAULT_THROTTLE = {
  enabled: true,
  loginWindowSeconds: 15 * 60,
  identifierAddressLimit: 5,
  identifierLimit: 10,
  addressLimit: 100,
  registerLimit: 20,
  registerWindowSeconds: 60 * 60,
} as const;

/**
 * Mail-sending requests (password reset, verification) per account and per address per hour:
 * enough for a user who lost a mail, too few to flood an inbox (OWASP Forgot Password CS).
 */
export const MAIL_THROTTLE = { accountLimit: 3, addressLimit: 20, windowSeconds: 60 * 60 } as const;

/** Throttling of password checks and registrations; every field has the default of {@link DEFAULT_THROTTLE}. */
export interface ThrottleOptions {
  /** Default true. Turning it off leaves password guessing unlimited; meant for benchmarks only. */
  enabled?: boolean;
  /** Seconds of the window the three login counters share; default 900 (15 min). */
  loginWindowSeconds?: number;
  /** Failed logins per submitted identifier from one client address; default 5. */
  identifierAddressLimit?: number;
  /** Failed logins per submitted identifier from anywhere (slow, distributed guessing); default 10. */
  identifierLimit?: number;
  /** Login attempts per client address, whatever the identifier (password spraying); default 100. */
  addressLimit?: number;
  /** Registrations per client address per registration window; default 20. */
  registerLimit?: number;
  /** Seconds of the registration window; default 3600 (1 h). */
  registerWindowSeconds?: number;
}

export type ThrottleSettings = Required<ThrottleOptions>;

/** Fills defaults and checks every number once, at start; a bad one is a {@link ConfigError}. */
export function resolveThrottleOptions(options: ThrottleOptions = {}): ThrottleSettings {
  const settings: ThrottleSettings = { ...DEFAULT_THROTTLE, ...stripUndefined(options) };
  for (const [name, value] of Object.entries(settings)) {
    if (name === 'enabled') continue;
    if (!Number.isInteger(value) || (value as number) < 1) throw new ConfigError(`throttle.${name}`, 'must be a positive whole number');
  }
  return settings;
}

/** One counter an attempt is charged to: its key, the most attempts its window admits, and whether a success clears it. */
export interface ThrottleKey {
  key: string;
  limit: number;
  windowSeconds: number;
  clearOnSuccess: boolean;
  /**
   * Charged before the attempt's other counters, which are charged only when this one admits it
   * (the per-address counter of a login): a refused flood then creates no per-identifier keys.
   * Default false.
   */
  chargedFirst?: boolean;
}

/**
 * Failure counting for password checks, over any {@link CounterStore} (memory for one process,
 * Redis for many). OWASP Authentication CS "Protect against automated attacks" and ASVS 5
 * V6.3.1: limits per account *and* per source, never a permanent lock-out (which would let anyone
 * lock a victim out), a generic 429 with `Retry-After` (RFC 6585 §4).
 *
 * Attempts are charged *before* the password is checked: the increment is the atomic
 * reservation, so N concurrent guesses can never get more than `limit` password checks through
 * (a check-then-count scheme lets a burst slip past while the hashes run). A success then
 * clears the identifier's counters; the per-address counter is not refunded, so it counts
 * attempts, successes included.
 */
export class Throttle {
  readonly counters: CounterStore;
  readonly settings: ThrottleSettings;

  constructor(counters: CounterStore, settings: ThrottleSettings = resolveThrottleOptions()) {
    this.counters = counters;
    this.settings = settings;
  }

  /**
   * The counters of a password check by `identifier` (an email as submitted, known or not)
   * from `ip` (`request.ip`, which believes `X-Forwarded-For` only from trusted proxies).
   */
  loginKeys(identifier: string, ip: string): ThrottleKey[] {
    const id = identifierDigest(identifier);
    const address = clientKey(ip);
    const s = this.settings;
    const window = s.loginWindowSeconds;
    return [
      { key: `login:id+ip:${id}:${address}`, limit: s.identifierAddressLimit, windowSeconds: window, clearOnSuccess: true },
      { key: `login:id:${id}`, limit: s.identifierLimit, windowSeconds: window, clearOnSuccess: true },
      { key: `login:ip:${address}`, limit: s.addressLimit, windowSeconds: window, clearOnSuccess: false, chargedFirst: true },
    ];
  }

  /**
   * The counters of a current-password check (re-authentication before a profile change or a
   * deletion) by the signed-in user `userId` from `ip`: the login limits, per user and per user
   * and address. Otherwise a stolen session would be an unthrottled password oracle (OWASP
   * Authentication CS, "Protect against automated attacks"). A right password clears the
   * per-user-and-address count and takes its own charge back from the per-user one.
   */
  currentPasswordKeys(userId: number, ip: string): ThrottleKey[] {
    const s = this.settings;
    const window = s.loginWindowSeconds;
    return [
      { key: `password:user+ip:${userId}:${clientKey(ip)}`, limit: s.identifierAddressLimit, windowSeconds: window, clearOnSuccess: true },
      { key: `password:user:${userId}`, limit: s.identifierLimit, windowSeconds: window, clearOnSuccess: false, chargedFirst: true },
    ];
  }

  /**
   * The counters of a passkey sign-in whose assertion names `credentialId` (as sent, known or
   * not) from `ip`: per address (the login address limit, charged first) and per credential and
   * address (the per-identifier-and-address limit), so a client that sends assertions which do
   * not verify is refused with 429 before any more verification work. There is deliberately no
   * per-credential counter from anywhere, unlike `loginKeys`' per-identifier one: that one slows
   * distributed password guessing, but an assertion's signature cannot be guessed, so such a
   * counter would protect nothing and would let anyone who learns a credential id lock its owner
   * out by sending garbage for it (OWASP Authentication CS, "Account lockout"). A success clears
   * the credential's count and takes its own charge back from the address's.
   */
  passkeyLoginKeys(credentialId: string, ip: string): ThrottleKey[] {
    const s = this.settings;
    const window = s.loginWindowSeconds;
    const address = clientKey(ip);
    const credential = counterKeyDigest(credentialId);
    return [
      { key: `passkey:cred+ip:${credential}:${address}`, limit: s.identifierAddressLimit, windowSeconds: window, clearOnSuccess: true },
      { key: `passkey:ip:${address}`, limit: s.addressLimit, windowSeconds: window, clearOnSuccess: false, chargedFirst: true },
    ];
  }

  /**
   * The counter of one-time codes (TOTP or recovery) typed by the signed-in user `userId`, on
   * every route that checks one outside sign-in: the per-identifier-and-address limit per user,
   * cleared by a right code.
   */
  oneTimeCodeKeys(userId: number): ThrottleKey[] {
    const s = this.settings;
    return [this.customKey('totp-code:user', String(userId), s.identifierAddressLimit, s.loginWindowSeconds, true)];
  }

  /**
   * The counters of passkey registration options asked by the signed-in user `userId` from `ip`:
   * each writes a challenge row and runs the library's option building, so they are counted per
   * user (the per-identifier limit) and per address (the address limit, charged first) like
   * login attempts, and never refunded.
   */
  passkeyRegistrationKeys(userId: number, ip: string): ThrottleKey[] {
    const s = this.settings;
    const window = s.loginWindowSeconds;
    return [
      { key: `passkey-register:ip:${clientKey(ip)}`, limit: s.addressLimit, windowSeconds: window, clearOnSuccess: false, chargedFirst: true },
      { key: `passkey-register:user:${userId}`, limit: s.identifierLimit, windowSeconds: window, clearOnSuccess: false },
    ];
  }

  /**
   * The counter of starting a sign-in with an identity provider (`/oauth/{provider}/authorize`)
   * from `ip`: each start makes a flow and a redirect, and may make the server fetch the
   * provider's discovery document, so one address cannot start them without bound.
   */
  oauthAuthorizeKeys(ip: string): ThrottleKey[] {
    const s = this.settings;
    return [{ key: `oauth-authorize:ip:${clientKey(ip)}`, limit: s.addressLimit, windowSeconds: s.loginWindowSeconds, clearOnSuccess: false }];
  }

  /**
   * The counter of a provider's redirect back (`/oauth/{provider}/callback`) from `ip`, charged
   * before the state is claimed in the shared counters and before the code is exchanged: one
   * address cannot fill the counter store with state claims nor make the server call the
   * provider without bound. A sign-in takes its own charge back.
   */
  oauthCallbackKeys(ip: string): ThrottleKey[] {
    const s = this.settings;
    return [{ key: `oauth:ip:${clientKey(ip)}`, limit: s.addressLimit, windowSeconds: s.loginWindowSeconds, clearOnSuccess: false, chargedFirst: true }];
  }

  /**
   * The counter of one provider identity (`provider` and its stable `subject`), charged once the
   * provider has named it: failures for it (an email taken by a local account, an identity
   * linked elsewhere) are limited like a login's per identifier. Never the password-login
   * counters of the email the provider asserts: a provider cannot clear or spend those.
   */
  providerIdentityKeys(provider: string, subject: string): ThrottleKey[] {
    const s = this.settings;
    return [
      {
        key: `oauth:identity:${counterKeyDigest(`${provider}\u0000${subject}`)}`,
        limit: s.identifierLimit,
        windowSeconds: s.loginWindowSeconds,
        clearOnSuccess: true,
      },
    ];
  }

  /** The counter of registrations from `ip`. */
  registrationKeys(ip: string): ThrottleKey[] {
    return [
      { key: `register:ip:${clientKey(ip)}`, limit: this.settings.registerLimit, windowSeconds: this.settings.registerWindowSeconds, clearOnSuccess: false },
    ];
  }

  /** The counters of a mail-sending request for `email` (normalised) from `ip`; see {@link MAIL_THROTTLE}. */
  mailKeys(action: string, email: string, ip: string): ThrottleKey[] {
    const { accountLimit, addressLimit, windowSeconds } = MAIL_THROTTLE;
    return [
      this.customKey(`mail:${action}:account`, email, accountLimit, windowSeconds),
      { key: `mail:${action}:ip:${clientKey(ip)}`, limit: addressLimit, windowSeconds, clearOnSuccess: false, chargedFirst: true },
    ];
  }

  /**
   * A counter for another route (e.g. forgot-password per address and per email): `scope`
   * names the rule, `subject` is hashed so raw emails never become store keys.
   */
  customKey(scope: string, subject: string, limit: number, windowSeconds: number, clearOnSuccess = false): ThrottleKey {
    return { key: `${scope}:${counterKeyDigest(subject)}`, limit, windowSeconds, clearOnSuccess };
  }

  /**
   * Claims `subject` once under `scope` for `windowSeconds`, in the shared counters, so the claim
   * holds across every instance that shares them: true for the first claim, false for any later
   * one. For single-use values (an OAuth state, a pending sign-in) rather than limits, so it runs
   * even with the throttle turned off. A full store is 429, never a 500 (see {@link consume}).
   */
  async claimOnce(scope: string, subject: string, windowSeconds: number): Promise<boolean> {
    try {
      return (await this.counters.increment(`${scope}:${counterKeyDigest(subject)}`, windowSeconds)).count === 1;
    } catch (error) {
      throw asThrottleError(error);
    }
  }

  /** Read-only: throws 429 when any counter has already used its whole window; counts nothing. */
  async check(keys: ThrottleKey[]): Promise<void> {
    if (!this.settings.enabled) return;
    const states = await Promise.all(keys.map((k) => this.counters.get(k.key)));
    rejectOver(keys, states, (count, limit) => count >= limit);
  }

  /**
   * Charges one attempt to every counter (atomically each); throws 429 when any is now over its
   * limit, or when the store is full and cannot hold a new counter. The `chargedFirst` counters
   * are charged first, and the others only when those admit the attempt.
   */
  async consume(keys: ThrottleKey[]): Promise<void> {
    if (!this.settings.enabled) return;
    await this.charge(keys.filter((k) => k.chargedFirst));
    await this.charge(keys.filter((k) => !k.chargedFirst));
  }

  /**
   * After a success: clears the counters marked `clearOnSuccess` and takes the successful attempt
   * back from the others, so only failures count against an address (docs/security.md: "failed logins are
   * throttled"; an office behind one NAT is not locked out by its own logins).
   */
  async reset(keys: ThrottleKey[]): Promise<void> {
    if (!this.settings.enabled) return;
    await Promise.all(keys.map((k) => (k.clearOnSuccess ? this.counters.reset(k.key) : this.counters.decrement(k.key))));
  }

  /**
   * Takes one attempt back from every counter, clearing none: for an attempt that neither failed
   * nor succeeded (the right password of an account that still needs its one-time code).
   */
  async refund(keys: ThrottleKey[]): Promise<void> {
    if (!this.settings.enabled) return;
    await Promise.all(keys.map((k) => this.counters.decrement(k.key)));
  }

  /**
   * The whole rule around one password check: charge the attempt (429 when over, before any
   * hashing, so even the right password is refused during a throttle), run `attempt`, and on a
   * non-null result clear the identifier's counters and refund the address's. A failure keeps its charge.
   */
  async guard<T>(keys: ThrottleKey[], attempt: () => Promise<T | null>): Promise<T | null> {
    await this.consume(keys);
    const result = await attempt();
    if (result !== null) await this.reset(keys);
    return result;
  }

  private async charge(keys: ThrottleKey[]): Promise<void> {
    if (keys.length === 0) return;
    let states: { count: number; ttlSeconds: number }[];
    try {
      states = await Promise.all(keys.map((k) => this.counters.increment(k.key, k.windowSeconds)));
    } catch (error) {
      throw asThrottleError(error);
    }
    rejectOver(keys, states, (count, limit) => count > limit);
  }
}

/** A full store refuses rather than forgets (docs/security-throttling.md): 429 with its `Retry-After`, not 500. */
function asThrottleError(error: unknown): unknown {
  return error instanceof CounterStoreFullError ? new AuthError('TOO_MANY_REQUESTS', undefined, { retryAfter: error.retryAfterSeconds }) : error;
}

/** Emails are counted in their stored form, so `A@x.io` and ` a@X.io` share a counter, and hashed so no address is written to the counter store. */
function identifierDigest(identifier: string): string {
  return counterKeyDigest(normalizeEmail(identifier));
}

/** How a subject (an email, a credential id, an OAuth state) appears in a counter key: hashed, never as given. */
export function counterKeyDigest(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url');
}

function rejectOver(keys: ThrottleKey[], states: { count: number; ttlSeconds: number }[], over: (count: number, limit: number) => boolean): void {
  let retryAfter = 0;
  keys.forEach((k, i) => {
    const state = states[i]!;
    if (over(state.count, k.limit)) retryAfter = Math.max(retryAfter, state.ttlSeconds, 1);
  });
  if (retryAfter > 0) throw new AuthError('TOO_MANY_REQUESTS', undefined, { retryAfter });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
