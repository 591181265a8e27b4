import type { OAuthAccount } from '../../core/store.js';
import type { AuthService } from '../../core/auth-service.js';
import { looksLikeEmail, normalizeEmail } from '../../core/email.js';
import { AuthError } from '../../core/errors.js';
import { hasUsablePassword, UNUSABLE_PASSWORD, type User } from '../../core/user.js';

/** Longest provider subject stored (`oauth_accounts.account_id`); OpenID Connect caps `sub` at 255 ASCII characters. */
const MAX_SUBJECT_LENGTH = 320;

/** Who the provider says signed in, after the protocol checks (ID token or GitHub's API). */
export interface ProviderIdentity {
  /** The provider's configured name. */
  provider: string;
  /** Its stable subject: the ID token's `sub`, or GitHub's numeric user id. */
  subject: string;
  email: string;
  /** True only when the provider asserts the address is verified. */
  emailVerified: boolean;
}

/**
 * What the callback does next: keep the current session (a link flow), or sign `user` in.
 * `added` is true when a new identity was linked to an account that existed before — a new way
 * into it, which the user is told about by mail (docs/security.md, "Recent authentication").
 */
export type OAuthOutcome = { kind: 'linked'; user: User; added: boolean } | { kind: 'sign-in'; user: User; added: boolean; created?: true };

/** One entry of `GET /users/me/accounts`: never a provider token (none is stored). */
export interface LinkedAccountInfo {
  id: number;
  provider: string;
  account_email: string;
  created_at: string;
}

/**
 * Who signs in through a provider, and the links between users and provider identities
 * (docs/oauth.md, "Linking rules"). The rules run in this order:
 *
 * 1. the flow started signed in → link the identity to that user (unless another user holds it);
 * 2. the identity is linked → its user;
 * 3. a local user has the email → link and sign in only when the provider asserts the email
 *    verified *and* the local account verified it too, else `OAUTH_USER_ALREADY_EXISTS`: an
 *    attacker who registered the victim's address first (unverified) cannot be handed the
 *    victim's provider sign-in, nor the other way round ("pre-account takeover", Sudhodanan &
 *    Paverd, USENIX Security 2022);
 * 4. otherwise, only when the provider asserts the email verified, a new verified user with no
 *    password; an unverified email creates nothing (`OAUTH_EMAIL_NOT_VERIFIED`), so no one holds
 *    an account under an address they have not proven — such an account's link would survive
 *    the real owner's password reset (OWASP Authentication CS; "pre-account takeover" again).
 *
 * Each link records whether the provider asserted its email verified; links that did not are
 * dropped when the mailbox owner proves the user's address (`AccountTokens`: reset, verification).
 */
export class OAuthAccounts {
  private readonly auth: AuthService;

  constructor(auth: AuthService) {
    this.auth = auth;
  }

  /**
   * Applies the rules to `identity`; `current` is the user whose session started the flow, if
   * any. `beforeCreate` runs before rule 4 creates a user (the registration throttle).
   */
  async resolve(identity: ProviderIdentity, current: User | null, beforeCreate: () => Promise<void>): Promise<OAuthOutcome> {
    const store = this.auth.store;
    // What a provider asserts was not checked by any schema: an email that is no address (or a
    // subject longer than the column) is refused like any other bad answer.
    if (!looksLikeEmail(normalizeEmail(identity.email)) || identity.subject === '' || identity.subject.length > MAX_SUBJECT_LENGTH) {
      throw new AuthError('OAUTH_CALLBACK_FAILED');
    }
    const linked = await store.oauthAccounts.findOAuthAccount(identity.provider, identity.subject);
    if (current) {
      if (linked && linked.userId !== current.id) throw new AuthError('OAUTH_ACCOUNT_ALREADY_LINKED');
      if (!linked) await this.link(current, identity);
      return { kind: 'linked', user: current, added: !linked };
    }
    if (linked) return { kind: 'sign-in', user: this.requireActive(await store.findUserById(linked.userId)), added: false };

    const email = normalizeEmail(identity.email);
    const local = await store.findUserByEmail(email);
    if (local) {
      if (!identity.emailVerified || !local.isVerified) throw new AuthError('OAUTH_USER_ALREADY_EXISTS');
      const user = this.requireActive(local);
      await this.link(user, identity);
      return { kind: 'sign-in', user, added: true };
    }

    if (!identity.emailVerified) throw new AuthError('OAUTH_EMAIL_NOT_VERIFIED');
    await beforeCreate();
    const created = await store.createUser({ email, hashedPassword: UNUSABLE_PASSWORD, isVerified: true }, this.auth.options.now());
    // Taken between the lookup and the insert: the same answer as rule 3 would have given at best.
    if (!created) throw new AuthError('OAUTH_USER_ALREADY_EXISTS');
    try {
      await this.link(created, identity);
    } catch (error) {
      await store.deleteUser(created.id);
      throw error;
    }
    return { kind: 'sign-in', user: created, added: false, created: true };
  }

  /** The user's linked identities, oldest first. */
  async listAccounts(userId: number): Promise<LinkedAccountInfo[]> {
    return (await this.auth.store.oauthAccounts.listOAuthAccounts(userId)).map(toLinkedAccountInfo);
  }

  /** Unlinks one identity and answers its provider's name; refuses (`OAUTH_LAST_CREDENTIAL`) to leave a user without a password or link. */
  async unlink(userId: number, id: number): Promise<string> {
    const user = await this.auth.store.findUserById(userId);
    if (!user) throw new AuthError('OAUTH_ACCOUNT_NOT_FOUND');
    // The provider's name, for the audit log (docs/audit.md); read before the row goes.
    const provider = (await this.auth.store.oauthAccounts.listOAuthAccounts(userId)).find((a) => a.id === id)?.oauthName;
    const result = await this.auth.store.oauthAccounts.unlinkOAuthAccount(userId, id, { keepLast: !hasUsablePassword(user) });
    if (result === 'not-found') throw new AuthError('OAUTH_ACCOUNT_NOT_FOUND');
    if (result === 'last') throw new AuthError('OAUTH_LAST_CREDENTIAL');
    return provider ?? '';
  }

  private async link(user: User, identity: ProviderIdentity): Promise<void> {
    const account = {
      userId: user.id,
      oauthName: identity.provider,
      accountId: identity.subject,
      accountEmail: normalizeEmail(identity.email),
      emailVerified: identity.emailVerified,
    };
    const made = await this.auth.store.oauthAccounts.linkOAuthAccount(account, this.auth.options.now());
    if (made) return;
    // Linked concurrently: fine when to this user, a conflict otherwise.
    const holder = await this.auth.store.oauthAccounts.findOAuthAccount(identity.provider, identity.subject);
    if (holder?.userId !== user.id) throw new AuthError('OAUTH_ACCOUNT_ALREADY_LINKED');
  }

  /** An inactive user gets the answer of a bad login (no hint that the account exists). */
  private requireActive(user: User | null): User {
    if (!user || !user.isActive) throw new AuthError('LOGIN_BAD_CREDENTIALS');
    return user;
  }
}

function toLinkedAccountInfo(account: OAuthAccount): LinkedAccountInfo {
  return { id: account.id, provider: account.oauthName, account_email: account.accountEmail, created_at: account.createdAt.toISOString() };
}
