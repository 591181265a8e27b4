import type { Store } from './store.js';
import { clientKey } from './client-address.js';
import { normalizeEmail } from './email.js';
import { AuthError } from './errors.js';
import { systemNow, type ResolvedAuthOptions } from './options.js';
import { checkPasswordPolicy, normalizePassword } from './password-policy.js';
import { PasswordContext, type HashRequester } from './password.js';
import type { PasswordScreen } from './password-screen.js';
import type { SessionCache } from './session-cache.js';
import { digestToken, generateToken, looksLikeToken } from './token.js';
import { hasUsablePassword, type User } from './user.js';

/** Where a session was opened from, for the sessions list. */
export interface ClientInfo {
  userAgent?: string | null;
  ip?: string | null;
}

/** A freshly issued access token: the only moment the token itself exists in our process. */
export interface IssuedToken {
  token: string;
  digest: string;
  expiresIn: number;
}

/** An authenticated request's principal. */
export interface Session {
  /** Tells a first-party session from the credentials of src/core/credentials.ts (`request.authSession.kind`). */
  readonly kind: 'session';
  user: User;
  /** Digest of the presented token: identifies the session without holding the secret. */
  digest: string;
  /** The superuser acting as `user` (an impersonation session, docs/audit.md); absent otherwise. */
  impersonatorId?: number;
}

/**
 * `last_used_at` is written at most this often per session (the sessions list shows it to within
 * five minutes). Every write is a commit, and on SQLite each commit also empties the page cache of
 * the read connection that serves the lookups: at one write per minute per active session the
 * cache kept being dropped (docs/BENCHMARKS.md, row 5).
 */
export const LAST_USED_RESOLUTION_MS = 5 * 60_000;
const MAX_USER_AGENT = 512;

/**
 * The domain: register, authenticate, issue/resolve/revoke tokens. It knows the store only by
 * its interface and answers "not valid" with `null`; conflicts are registered {@link AuthError}s.
 */
export class AuthService {
  readonly store: Store;
  readonly options: ResolvedAuthOptions;
  readonly passwords: PasswordContext;
  /** Validated sessions in memory (docs/session-cache.md); `null` when turned off. */
  readonly sessions: SessionCache | null;
  private readonly nowMs: () => number;
  private readonly screens: PasswordScreen[] = [];

  /**
   * `sessions`: a cache of validated sessions; give it only with a store whose session-changing
   * writes evict from it (`withSessionChanges`) and a channel feeding it changes from elsewhere.
   */
  constructor(store: Store, options: ResolvedAuthOptions, extra: { sessions?: SessionCache } = {}) {
    this.store = store;
    this.options = options;
    this.sessions = extra.sessions ?? null;
    // The cache's hit path needs only milliseconds: with the real clock, no `Date` per request.
    this.nowMs = options.now === systemNow ? Date.now : () => options.now().getTime();
    this.passwords = new PasswordContext({ argon2: options.argon2, concurrency: options.hashConcurrency });
  }

  /** Applies the password policy; returns the normalised password or the reason it is refused. */
  checkPassword(password: string, email?: string): { password: string } | { reason: string } {
    const normalized = normalizePassword(password);
    const reason = checkPasswordPolicy(normalized, { minLength: this.options.passwordMinLength, maxLength: this.options.passwordMaxLength }, email);
    return reason === null ? { password: normalized } : { reason };
  }

  /** Adds a check every new password must also pass (a capability's, e.g. breached passwords). */
  addPasswordScreen(screen: PasswordScreen): void {
    this.screens.push(screen);
  }

  /**
   * {@link checkPassword}, then the registered screens, for a password about to be set
   * (registration, reset, change). The policy goes first: it is free, a screen may read a file
   * or ask a remote service.
   */
  async checkNewPassword(password: string, email?: string): Promise<{ password: string } | { reason: string }> {
    const checked = this.checkPassword(password, email);
    if ('reason' in checked) return checked;
    for (const screen of this.screens) {
      const reason = await screen.screen(checked.password);
      if (reason !== null) return { reason };
    }
    return checked;
  }

  /** Creates an account; any privileges beyond a plain user come only from trusted callers. */
  async register(email: string, password: string, extra: { isSuperuser?: boolean; isVerified?: boolean } = {}): Promise<User> {
    const normalizedEmail = normalizeEmail(email);
    const checked = await this.checkNewPassword(password, normalizedEmail);
    if ('reason' in checked) throw new AuthError('REGISTER_INVALID_PASSWORD', checked.reason);
    const hashedPassword = await this.passwords.hashPassword(checked.password);
    const user = await this.store.createUser({ email: normalizedEmail, hashedPassword, ...extra }, this.options.now());
    if (!user) throw new AuthError('REGISTER_USER_ALREADY_EXISTS');
    return user;
  }

  /**
   * Checks credentials. Unknown email, wrong password and inactive user all return `null` after
   * the same hashing work (OWASP Authentication CS: generic errors, equal response time).
   * A valid password on a deprecated hash is re-hashed with the current scheme. `from.ip` names
   * the client whose turn the hashing takes (see {@link PasswordContext}).
   */
  async authenticate(email: string, password: string, from: ClientInfo = {}): Promise<User | null> {
    const user = await this.store.findUserByEmail(normalizeEmail(email));
    if (!user) {
      await this.passwords.verifyDummy(normalizePassword(password), hashRequester(from));
      return null;
    }
    const valid = await this.verifyUserPassword(user, password, from);
    return valid && user.isActive ? valid : null;
  }

  /** Verifies a user's password (upgrading a deprecated hash); the fresh user, or `null`. */
  async verifyUserPassword(user: User, password: string, from: ClientInfo = {}): Promise<User | null> {
    const normalized = normalizePassword(password);
    const requester = hashRequester(from);
    if (!hasUsablePassword(user)) {
      // No password (an identity provider's user): answered as a wrong password, after the same work.
      await this.passwords.verifyDummy(normalized, requester);
      return null;
    }
    let result = await this.passwords.verifyPassword(normalized, user.hashedPassword, requester);
    // Hashes imported from passlib/Django were made from the raw string; NFKC may differ from it.
    if (!result.valid && normalized !== password && this.passwords.needsRehash(user.hashedPassword)) {
      result = await this.passwords.verifyPassword(password, user.hashedPassword, requester);
    }
    if (!result.valid) return null;
    if (result.needsRehash) {
      const upgraded = await this.passwords.hashPassword(normalized, requester);
      // Conditional on the old hash: of two concurrent logins, one upgrades and the other's write is a no-op.
      if (await this.store.replacePasswordHash(user.id, user.hashedPassword, upgraded, this.options.now())) {
        return { ...user, hashedPassword: upgraded };
      }
    }
    return user;
  }

  /**
   * Issues a new token (every login gets its own) with an absolute expiry. The session counts as
   * authenticated now; `extra.amr` records the RFC 8176 methods its sign-in proved.
   */
  async issueToken(
    user: User,
    client: ClientInfo = {},
    extra: { amr?: readonly string[]; impersonatorId?: number; maxLifetime?: number } = {},
  ): Promise<IssuedToken> {
    const token = generateToken();
    const digest = digestToken(token);
    const now = this.options.now();
    const lifetime = Math.min(this.options.accessTokenLifetime, extra.maxLifetime ?? Number.POSITIVE_INFINITY);
    await this.store.createToken({
      digest,
      userId: user.id,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
      userAgent: client.userAgent ? client.userAgent.slice(0, MAX_USER_AGENT) : null,
      ip: client.ip ?? null,
      authenticatedAt: now,
      amr: extra.amr ?? null,
      ...(extra.impersonatorId === undefined ? {} : { impersonatorId: extra.impersonatorId }),
    });
    return { token, digest, expiresIn: lifetime };
  }

  /**
   * The session a token belongs to, if it is well-formed, unexpired and its user active; else
   * `null`. A cached session skips the database, but its absolute expiry is checked here on every
   * request, cached or not (OWASP Session Management CS, "Absolute Timeout"). `knownDigest` is the
   * token's SHA-256 digest when the caller has it already.
   */
  async resolveToken(token: string, knownDigest?: string): Promise<Session | null> {
    if (!looksLikeToken(token)) return null;
    const digest = knownDigest ?? digestToken(token);
    const now = this.options.now();
    const known = this.fromCache(digest, now.getTime());
    if (known !== undefined) return known;
    const ticket = this.sessions?.ticket();
    const found = await this.store.findSession(digest, now);
    if (!found || !found.user.isActive) return null;
    let lastUsedAt = found.token.lastUsedAt.getTime();
    if (now.getTime() - lastUsedAt > LAST_USED_RESOLUTION_MS) {
      this.touch(digest, now);
      lastUsedAt = now.getTime();
    }
    if (found.token.impersonatorId !== undefined) {
      // Impersonation sessions are rare and short: read from the database on every request
      // rather than widening every cached entry with the impersonator (docs/session-cache.md).
      return { kind: 'session', user: found.user, digest, impersonatorId: found.token.impersonatorId };
    }
    if (ticket !== undefined) {
      this.sessions!.set(ticket, digest, { user: found.user, expiresAt: found.token.expiresAt.getTime(), lastUsedAt });
    }
    return { kind: 'session', user: found.user, digest };
  }

  /**
   * What {@link resolveToken} answers when the session cache alone can tell, without a promise: the
   * session, or `null` for a malformed token or an expired cached one; `undefined` when only the
   * database knows. The guard asks this first, so a known session costs no microtask. `digest`
   * is the token's SHA-256 digest when the caller has it already.
   */
  knownSession(token: string, digest?: string): Session | null | undefined {
    if (this.sessions === null) return undefined;
    if (!looksLikeToken(token)) return null;
    return this.fromCache(digest ?? digestToken(token), this.nowMs());
  }

  /** The cache's answer for a digest (see {@link knownSession}). */
  private fromCache(digest: string, nowMs: number): Session | null | undefined {
    const cached = this.sessions?.get(digest);
    if (cached === undefined) return undefined;
    if (cached.expiresAt <= nowMs) return null;
    if (nowMs - cached.lastUsedAt > LAST_USED_RESOLUTION_MS) this.touch(digest, new Date(nowMs));
    return { kind: 'session', user: cached.user, digest };
  }

  /** Writes `last_used_at`; not awaited: bookkeeping must not slow or fail the request it describes. */
  private touch(digest: string, now: Date): void {
    this.sessions?.touched(digest, now.getTime());
    this.store.touchToken(digest, now).catch(() => {});
  }

  /** Revokes one session (logout). */
  async revokeToken(digest: string): Promise<boolean> {
    return this.store.deleteToken(digest);
  }

  /** What else a user's credentials ended revoke, registered by capabilities (the OAuth provider's grants). */
  private readonly revocationListeners: Array<(userId: number) => Promise<unknown>> = [];

  /**
   * Also revoke what `listener` knows of a user whenever all their sessions are revoked (password
   * change or reset, deactivation, "sign out everywhere"): credentials issued to other apps for the
   * user end with them (docs/oauth-server.md).
   */
  onUserTokensRevoked(listener: (userId: number) => Promise<unknown>): void {
    this.revocationListeners.push(listener);
  }

  /** Revokes every session of a user but `keepDigest` (password change, deactivation), and what the listeners hold for them. */
  async revokeUserTokens(userId: number, keepDigest?: string): Promise<number> {
    const count = await this.store.deleteUserTokens(userId, keepDigest);
    for (const listener of this.revocationListeners) await listener(userId);
    return count;
  }

  /** Deletes expired tokens; run periodically. */
  async purgeExpiredTokens(): Promise<number> {
    return this.store.deleteExpiredTokens(this.options.now());
  }
}

/** Hashing is shared in turns between client addresses, counted as the throttle counts them (IPv6 by /64). */
function hashRequester(from: ClientInfo): HashRequester {
  return from.ip ? { requester: clientKey(from.ip) } : {};
}
