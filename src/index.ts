/** fastify-users: the public API of the library. */
export { fastifyUsers, DEFAULT_BODY_LIMIT, type FastifyUsersOptions } from './http/plugin.js';
export { registerOpenAPI } from './http/openapi.js';
export type { GuardOptions } from './http/guard.js';
export { AuthService, type Session, type IssuedToken, type ClientInfo } from './core/auth-service.js';
export { AccountService, type SessionInfo, type ProfileChange, type AdminChange } from './core/account-service.js';
export {
  AccountTokens,
  DEFAULT_RESET_PASSWORD_TOKEN_LIFETIME,
  DEFAULT_VERIFY_TOKEN_LIFETIME,
  type AccountTokenOptions,
} from './core/account-tokens.js';
export { resetPasswordMail, verifyEmailMail, type Mailer, type MailMessage } from './core/mail.js';
export { createSMTPMailer, DEFAULT_MAIL_FROM, type SMTPMailerOptions } from './mail/smtp-mailer.js';
export { createLogMailer, type LogMailerOptions } from './mail/log-mailer.js';
export type { MailThrottle, MailAction } from './http/routes/account-context.js';
export { AuthError, ConfigError, ERRORS, type ErrorCode } from './core/errors.js';
export { type AuthOptions, DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_AUTH_COOKIE_NAME } from './core/options.js';
export { PasswordContext, DEFAULT_ARGON2, type Argon2Parameters, type VerifyResult } from './core/password.js';
export { checkPasswordPolicy, normalizePassword, DEFAULT_PASSWORD_MIN_LENGTH } from './core/password-policy.js';
export { generateToken, digestToken } from './core/token.js';
export { Throttle, DEFAULT_THROTTLE, resolveThrottleOptions, type ThrottleOptions, type ThrottleSettings, type ThrottleKey } from './core/throttle.js';
export { clientKey } from './core/client-address.js';
export { toPublicUser, type User, type PublicUser } from './core/user.js';
export { SQLStore } from './store/sql/sql-store.js';
export { MemoryCounterStore, type MemoryCounterStoreOptions } from './store/memory-counters.js';
export { migrateToLatest } from './store/sql/migrations.js';
export type {
  Store, UserStore, TokenStore, ActionTokenStore, CounterStore, AccessTokenRecord, ActionTokenRecord, ActionPurpose, NewUser, UserPatch,
} from './store/types.js';
export { buildServer, readConfig, type ServerConfig } from './server.js';
export { mintCSRFToken, verifyCSRFToken, SAFE_METHODS } from './http/csrf.js';
export { isOriginAllowed } from './http/origin-check.js';
export { registerSecurityHeaders, CONTENT_SECURITY_POLICY } from './http/security-headers.js';
export { registerWebPage, type WebPageOptions } from './http/web-page.js';
