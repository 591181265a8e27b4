import type { UserPatch } from './store.js';
import type { AuthService, Session } from './auth-service.js';
import { normalizeEmail } from './email.js';
import { AuthError } from './errors.js';
import type { Throttle } from './throttle.js';
import { sessionIdOf } from './token.js';
import type { User } from './user.js';

/** One entry of the sessions list; `id` is derived from the digest and is not a credential. */
export interface SessionInfo {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip: string | null;
  current: boolean;
}

/** What a user may change on their own account; `currentPassword` is always required. */
export interface ProfileChange {
  email?: string;
  password?: string;
  currentPassword: string;
}

/** What a superuser may change on any account. */
export interface AdminChange {
  email?: string;
  password?: string;
  isActive?: boolean;
  isSuperuser?: boolean;
  isVerified?: boolean;
}

/**
 * The account once it exists: profile changes, deletion, the sessions list (Better Auth's session
 * management) and superuser administration. Sensitive changes re-check the current password
 * (ASVS 6.2.3), throttled like logins, and every credential change revokes sessions at once
 * (ASVS 7.4.3).
 */
export class AccountService {
  private readonly auth: AuthService;
  private readonly throttle: Throttle;
  private readonly deletionChecks: Array<(userId: number) => Promise<void>> = [];

  constructor(auth: AuthService, throttle: Throttle) {
    this.auth = auth;
    this.throttle = throttle;
  }

  /**
   * Adds a check that runs before any account is deleted (by its owner or a superuser): it may
   * refuse by throwing an `AuthError`, or clean up what the database's cascades do not decide
   * (a capability's rows, such as an organization only this user belonged to).
   */
  beforeUserDeletion(check: (userId: number) => Promise<void>): void {
    this.deletionChecks.push(check);
  }

  private async deleteUserRow(id: number): Promise<boolean> {
    for (const check of this.deletionChecks) await check(id);
    return this.auth.store.deleteUser(id);
  }

  /**
   * Changes the caller's email and/or password. A new email clears `is_verified`; a new password
   * ends the other sessions. `from.ip` is the client's address (`request.ip`), for the throttle.
   */
  async updateProfile(session: Session, change: ProfileChange, from: { ip: string }): Promise<User> {
    const user = await this.requireCurrentPassword(session, change.currentPassword, from);
    const patch = await this.buildPatch(user, change.email, change.password);
    const updated = await this.apply(user.id, patch);
    if (patch.hashedPassword !== undefined) await this.afterPasswordChange(user.id, session.digest);
    return updated;
  }

  /** Deletes the caller's account; tokens of every kind go with it by cascade. */
  async deleteAccount(session: Session, currentPassword: string, from: { ip: string }): Promise<void> {
    const user = await this.requireCurrentPassword(session, currentPassword, from);
    await this.deleteUserRow(user.id);
  }

  /** The caller's unexpired sessions, newest first, the current one marked. */
  async listSessions(session: Session): Promise<SessionInfo[]> {
    const tokens = await this.auth.store.listUserTokens(session.user.id, this.auth.options.now());
    return tokens.map((t) => ({
      id: sessionIdOf(t.digest),
      created_at: t.createdAt.toISOString(),
      last_used_at: t.lastUsedAt.toISOString(),
      user_agent: t.userAgent,
      ip: t.ip,
      current: t.digest === session.digest,
    }));
  }

  /** Ends one of the caller's sessions by its public id; 404 `SESSION_NOT_FOUND` when it is not theirs. */
  async revokeSession(session: Session, id: string): Promise<void> {
    const tokens = await this.auth.store.listUserTokens(session.user.id, this.auth.options.now());
    const target = tokens.find((t) => sessionIdOf(t.digest) === id);
    if (!target || !(await this.auth.store.deleteToken(target.digest))) throw new AuthError('SESSION_NOT_FOUND');
  }

  /** Ends every session of the caller but the current one ("sign out all other devices"). */
  async revokeOtherSessions(session: Session): Promise<number> {
    return this.auth.revokeUserTokens(session.user.id, session.digest);
  }

  /** A page of users, by id. */
  async listUsers(offset: number, limit: number): Promise<User[]> {
    return this.auth.store.listUsers(offset, limit);
  }

  /** A user by id; 404 `USER_NOT_FOUND`. */
  async getUser(id: number): Promise<User> {
    const user = await this.auth.store.findUserById(id);
    if (!user) throw new AuthError('USER_NOT_FOUND');
    return user;
  }

  /**
   * A superuser's change to any account. Deactivation and a new password revoke every token of
   * the user at once (they would also stop resolving, as `resolveToken` checks `is_active`).
   */
  async updateUser(id: number, change: AdminChange): Promise<User> {
    const user = await this.getUser(id);
    const patch = await this.buildPatch(user, change.email, change.password);
    if (change.isActive !== undefined) patch.isActive = change.isActive;
    if (change.isSuperuser !== undefined) patch.isSuperuser = change.isSuperuser;
    if (change.isVerified !== undefined) patch.isVerified = change.isVerified;
    const updated = await this.apply(id, patch);
    if (patch.hashedPassword !== undefined) await this.afterPasswordChange(id);
    else if (patch.isActive === false) await this.auth.revokeUserTokens(id);
    return updated;
  }

  /** Deletes any account; 404 `USER_NOT_FOUND`. */
  async deleteUser(id: number): Promise<void> {
    if (!(await this.deleteUserRow(id))) throw new AuthError('USER_NOT_FOUND');
  }

  /**
   * The session's user if `currentPassword` is theirs; else 401 `INVALID_CURRENT_PASSWORD`, and
   * 429 `TOO_MANY_REQUESTS` over the limits of {@link Throttle.currentPasswordKeys}, checked
   * before any hashing (as for a login, even the right password is refused during a throttle).
   */
  async requireCurrentPassword(session: Session, currentPassword: string, from: { ip: string }): Promise<User> {
    const user = await this.throttle.guard(this.throttle.currentPasswordKeys(session.user.id, from.ip), async () => {
      // Read afresh: the session's copy may predate a change made from another device.
      const fresh = await this.auth.store.findUserById(session.user.id);
      return fresh ? this.auth.verifyUserPassword(fresh, currentPassword, from) : null;
    });
    if (!user) throw new AuthError('INVALID_CURRENT_PASSWORD');
    return user;
  }

  private async buildPatch(user: User, email: string | undefined, password: string | undefined): Promise<UserPatch> {
    const patch: UserPatch = {};
    const newEmail = email === undefined ? undefined : normalizeEmail(email);
    if (newEmail !== undefined && newEmail !== user.email) {
      patch.email = newEmail;
      // The new address is unproven (fastapi-users does the same).
      patch.isVerified = false;
    }
    if (password !== undefined) {
      const checked = await this.auth.checkNewPassword(password, newEmail ?? user.email);
      if ('reason' in checked) throw new AuthError('UPDATE_USER_INVALID_PASSWORD', checked.reason);
      patch.hashedPassword = await this.auth.passwords.hashPassword(checked.password);
    }
    return patch;
  }

  private async apply(id: number, patch: UserPatch): Promise<User> {
    const updated = await this.auth.store.updateUser(id, patch, this.auth.options.now());
    if (updated === 'email-taken') throw new AuthError('UPDATE_USER_EMAIL_ALREADY_EXISTS');
    if (!updated) throw new AuthError('USER_NOT_FOUND');
    // Links mailed to the old address, reset and verification alike, die with it.
    if (patch.email !== undefined) await this.auth.store.deleteUserActionTokens(id);
    return updated;
  }

  /** A new password ends other sessions and any pending reset link (OWASP Forgot Password CS). */
  private async afterPasswordChange(userId: number, keepDigest?: string): Promise<void> {
    await this.auth.revokeUserTokens(userId, keepDigest);
    await this.auth.store.deleteUserActionTokens(userId, 'reset');
  }
}
