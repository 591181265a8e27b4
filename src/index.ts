/**
 * fastify-users: the public API of the library — the plugin and its option types, the store
 * interfaces (to bring your own store), the mailer interface and the error registry. The app
 * builder of the standalone server is the `fastify-users/server` entry. Everything else is
 * internal and may change without notice.
 */
export { fastifyUsers, DEFAULT_BODY_LIMIT, type FastifyUsersOptions, type FastifyUsersServices, type FastifyUsersTypes } from './http/plugin.js';
export type {
  UsersAccountTokens,
  UsersAdministration,
  UsersAuth,
  UsersMailOutbox,
  UsersOrganizations,
  UsersPasskeys,
  UsersThrottle,
  UsersTwoFactor,
} from './http/services.js';
export type { GuardOptions } from './http/guard.js';
export type { BrowserProtectionScope } from './http/protection-scope.js';
export { registerOpenAPI } from './http/openapi.js';
export { clientErrorHandler, frameworkErrors, notFoundHandler } from './http/framework-errors.js';
export { deferredChildLoggerFactory } from './http/request-logger.js';
export type { AuthOptions } from './core/options.js';
export type { Argon2Parameters } from './core/password.js';
export type { ThrottleOptions } from './core/throttle.js';
export type { OAuthProviderOptions, OAuthPreset, GitHubEndpoints } from './features/oauth-client/oauth-providers.js';
export type { AccountTokenOptions } from './core/account-tokens.js';
export {
  DEFAULT_ROLE_PERMISSIONS,
  type Membership,
  type RequirePermission,
  type RequirePermissionOptions,
  type Role,
  type RolePermissions,
} from './features/organizations/index.js';
export type { OrganizationStore, OrganizationRecord, MembershipRecord, MemberRecord, InvitationRecord } from './features/organizations/store.js';
export type { MailThrottle, MailAction } from './http/routes/account-context.js';
export type { Session } from './core/auth-service.js';
export type {
  ApiKeySession,
  AuthSession,
  CredentialAnswer,
  CredentialResolver,
  DelegatedSession,
  FirstPartySession,
  PresentedCredential,
  ProviderSession,
} from './core/credentials.js';
export type { AdminUserChanges, AuditContext, AuditDetails, AuditEvent, AuditEventType, AuditLog, AuditRecord, SignInMethod } from './core/audit.js';
export type { AuditEventListener, AuditQuery, AuditStore, AuditVerification } from './features/audit/index.js';
export type { User, PublicUser } from './core/user.js';
export { AuthError, ConfigError, ERRORS, type ErrorCode } from './core/errors.js';
export type { Mailer, MailMessage } from './core/mail.js';
export { createSMTPMailer, type SMTPMailerOptions } from './mail/smtp-mailer.js';
export { createLogMailer, type LogMailerOptions } from './mail/log-mailer.js';
export { SQLStore } from './store/sql/sql-store.js';
export { MemoryCounterStore, type MemoryCounterStoreOptions } from './store/memory-counters.js';
export type {
  Store,
  UserStore,
  TokenStore,
  ActionTokenStore,
  CounterStore,
  AccessTokenRecord,
  NewAccessToken,
  ActionTokenRecord,
  ActionPurpose,
  NewUser,
  UserPatch,
  SecondFactorStore,
  TOTPRecord,
  PasskeyStore,
  PasskeyRecord,
  NewPasskey,
  ChallengeRecord,
  ChallengePurpose,
  OAuthAccountStore,
  OAuthAccount,
  NewOAuthAccount,
} from './core/store.js';
export { CounterStoreFullError } from './core/store.js';
