import type { OAuthServer } from '../features/oauth-server/index.js';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { AccountService } from '../core/account-service.js';
import type { AccountTokens } from '../core/account-tokens.js';
import type { AuditLog } from '../core/audit.js';
import type { AuthService } from '../core/auth-service.js';
import type { Throttle } from '../core/throttle.js';
import type { PasskeyService } from '../features/passkeys/passkeys.js';
import type { OrganizationService } from '../features/organizations/organizations.js';
import type { TwoFactorService } from '../features/totp/two-factor.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { CredentialResolver } from '../core/credentials.js';
import type { GuardOptions } from './guard.js';

// What a host app may call on `app.fastifyUsers` (docs/library.md): small interfaces, not the
// classes behind them, so the plugin's internals (its store, caches, key material) stay its own
// and can change without breaking a host.

/** Accounts and sessions: register, check a password, issue, resolve and revoke tokens. */
export interface UsersAuth
  extends Pick<AuthService, 'register' | 'authenticate' | 'issueToken' | 'resolveToken' | 'revokeToken' | 'revokeUserTokens' | 'purgeExpiredTokens'> {}

/** Superuser administration of accounts. */
export interface UsersAdministration extends Pick<AccountService, 'listUsers' | 'getUser' | 'updateUser' | 'deleteUser'> {}

/** Password-reset and email-verification tokens, and the mail that carries them. */
export interface UsersAccountTokens extends Pick<AccountTokens, 'forgotPassword' | 'resetPassword' | 'requestVerification' | 'verificationMail' | 'verify'> {}

/** The brute-force throttle, for the host's own abusable routes (docs/security.md, "Brute force"). */
export interface UsersThrottle
  extends Pick<
    Throttle,
    'check' | 'consume' | 'reset' | 'refund' | 'customKey' | 'loginKeys' | 'currentPasswordKeys' | 'passkeyLoginKeys' | 'registrationKeys' | 'mailKeys'
  > {}

/** Whether a user has a second factor (docs/two-factor.md). */
export interface UsersTwoFactor extends Pick<TwoFactorService, 'status' | 'isEnabled'> {}

/** A user's passkeys (docs/two-factor.md). */
export interface UsersPasskeys extends Pick<PasskeyService, 'list' | 'remove'> {}

/** Organizations (docs/organizations.md): a user's memberships, checks, and what to do when a membership or an organization ends. */
export interface UsersOrganizations
  extends Pick<OrganizationService, 'listMine' | 'access' | 'permits' | 'roles' | 'onMembershipRemoved' | 'onOrganizationDeleted'> {}

/** Background mail delivery. */
export interface UsersMailOutbox extends Pick<MailOutbox, 'drain'> {}

/**
 * The plugin's services, under one namespaced decorator (`app.fastifyUsers`), as the official
 * `@fastify/*` plugins add only their own names: no `auth` (owned by `@fastify/auth`) and no
 * `session` (owned by `@fastify/session`).
 */
export interface FastifyUsersServices {
  /** Accounts and sessions: register, authenticate, issue/resolve/revoke tokens. */
  auth: UsersAuth;
  /** Superuser administration: list, read, update and delete users. */
  account: UsersAdministration;
  /** Password-reset and email-verification tokens. */
  accountTokens: UsersAccountTokens;
  /** Failure counting for password checks and other abusable routes (docs/security.md, "Brute force"). */
  throttle: UsersThrottle;
  /** TOTP status (docs/two-factor.md). */
  twoFactor: UsersTwoFactor;
  /** A user's passkeys (docs/two-factor.md). */
  passkeys: UsersPasskeys;
  /** Background mail delivery; `await app.fastifyUsers.mailOutbox.drain()` waits for queued mail. */
  mailOutbox: UsersMailOutbox;
  /** The audit log (docs/audit.md): `app.fastifyUsers.audit.record(event)` appends a security event of the host's own. */
  audit: AuditLog;
  /** Organizations; absent with `organizations: false`. */
  organizations: UsersOrganizations | undefined;
  /** A guard with options, e.g. `app.fastifyUsers.guard({ superuser: true })` or `guard({ firstParty: true })`. */
  guard(options?: GuardOptions): preHandlerAsyncHookHandler;
  /**
   * Adds a credential `app.authenticate` admits besides first-party sessions (e.g. the host's own
   * tokens), asked after those registered before it (docs/resource-server.md).
   */
  registerCredentialResolver(resolver: CredentialResolver): void;
}

/** The objects behind {@link FastifyUsersServices}, whole: for the plugin itself and its tests, never exported to hosts. */
export interface FastifyUsersInternals extends FastifyUsersServices {
  auth: AuthService;
  account: AccountService;
  accountTokens: AccountTokens;
  throttle: Throttle;
  twoFactor: TwoFactorService;
  passkeys: PasskeyService;
  mailOutbox: MailOutbox;
  organizations: OrganizationService | undefined;
  /** Our OAuth provider (docs/oauth-server.md) when `oauthServer` is on. */
  oauthServer: OAuthServer | undefined;
}
