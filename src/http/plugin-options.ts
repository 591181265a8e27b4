import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { resolveAccountTokenOptions, type AccountTokenOptions } from '../core/account-tokens.js';
import type { CredentialResolver } from '../core/credentials.js';
import { ConfigError } from '../core/errors.js';
import type { Mailer } from '../core/mail.js';
import type { AuditEventListener } from '../features/audit/audit-log.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../features/audit/options.js';
import { resolveBreachedPasswords, type BreachedPasswordsOptions, type ResolvedBreachedPasswords } from '../features/breached-passwords/options.js';
import { resolveOAuthServer, type OAuthServerOptions, type ResolvedOAuthServer } from '../features/oauth-server/options.js';
import { resolveRolePermissions, type Role, type RolePermissions } from '../features/organizations/roles.js';
import { resolveOAuthProviders, type OAuthProviderOptions, type ResolvedOAuthProvider } from '../features/oauth-client/oauth-providers.js';
import { resolveAuthOptions, type AuthOptions, type ResolvedAuthOptions } from '../core/options.js';
import { safeNextPath } from '../core/safe-redirect.js';
import type { CounterStore, Store } from '../core/store.js';
import type { SessionChannel } from '../store/session-channel.js';
import { checkDatabaseUrl } from '../store/sql/database.js';
import { DEFAULT_USER_DECORATOR } from './guard.js';
import { DEFAULT_BROWSER_PROTECTIONS, type BrowserProtectionScope } from './protection-scope.js';
import type { MailThrottle } from './routes/account-context.js';

/** How often expired tokens are purged. */
export const DEFAULT_PURGE_INTERVAL_SECONDS = 600;
export { DEFAULT_AUDIT_RETENTION_DAYS } from '../features/audit/options.js';
/** Base of mail links when `publicUrl` is not given: the server's default address. */
export const DEFAULT_LINK_BASE = 'http://127.0.0.1:8000';

export interface FastifyUsersOptions extends AuthOptions, AccountTokenOptions {
  /** A store to use (the caller closes it); or give `databaseUrl` and the plugin opens and closes one. */
  store?: Store;
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://…`; used when `store` is not given. */
  databaseUrl?: string;
  /** Prefix of the plugin's routes (e.g. `/auth`); default none. */
  routePrefix?: string;
  /** Seconds between purges of expired tokens; 0 disables; default 600. */
  purgeIntervalSeconds?: number;
  /**
   * Where throttle counters live (the caller closes it). Default: a new in-memory store, right for
   * one process; give the Redis store when several instances share the load (docs/security.md, "Throttling").
   */
  counters?: CounterStore;
  /**
   * Delivers reset and verification mail. Default: none — each mail's recipient and subject are
   * logged and the mail is not delivered.
   */
  mailer?: Mailer;
  /**
   * Without `mailer`, also write each mail's text — its link, and so a live reset or verification
   * token — to the log, for development; default false, since logs must never hold a token (OWASP
   * Logging CS). The plugin never reads `NODE_ENV` itself: the server sets this outside production.
   */
  logMailBody?: boolean;
  /** Throttle of `/forgot-password` and `/request-verify-token`; default 3 per account and 20 per address per hour. */
  mailThrottle?: MailThrottle;
  /**
   * Where CORS, the Origin check and CSRF hold: `'all-routes'` (default) or `'plugin-routes'`
   * (ours, plus host routes with `config: { browserProtections: true }`). See docs/security.md.
   */
  browserProtections?: BrowserProtectionScope;
  /** Identity providers to sign in with (docs/oauth.md); default none. Needs `publicUrl`. */
  oauthProviders?: OAuthProviderOptions[];
  /**
   * A page (path) a browser is sent to, with `#oauth_error=<CODE>`, when a provider sign-in fails;
   * default none: the failure is the JSON error. The server sets it to its web page, `/`. A user
   * with two-factor sign-in is sent to it (default `/`) with `#/otp` to give the code.
   */
  oauthFailurePage?: string;
  /**
   * Where the session cache hears of changes made by other instances (docs/session-cache.md).
   * Default: the database's own (LISTEN/NOTIFY on PostgreSQL, the change counter on a SQLite
   * file); the server passes Redis pub/sub when `REDIS_URL` is set. A custom `store` without
   * a channel runs without the cache.
   */
  sessionChannel?: SessionChannel;
  /**
   * The request decorator that holds the authenticated user; default `user`. `@fastify/jwt` also
   * decorates `request.user`: in an app with both, give one of them another name (docs/library.md).
   */
  decoratorName?: string;
  /**
   * TOTP second factors (docs/two-factor.md); default true. Their secrets are sealed with
   * `secretKey`, which is then required. `false` removes the enrolment routes; a user who enrolled
   * earlier is still asked for a code at sign-in (refused, rather than let in on one factor).
   */
  totp?: boolean;
  /**
   * Refuse passwords known from breaches at registration, reset and change (docs/breached-passwords.md):
   * `{ rangeFolder: '<dir>' }` (an offline copy of the Pwned Passwords range files) or
   * `{ api: true }` (Have I Been Pwned's range API; or `api: '<url>'` for another). Default off.
   */
  breachedPasswords?: BreachedPasswordsOptions;
  /**
   * Credentials `app.authenticate` admits besides first-party sessions, asked in order for a
   * credential not in our token format (docs/resource-server.md); default none. The plugin's own
   * (provider access tokens, API keys) come after these; more can be added with
   * `app.fastifyUsers.registerCredentialResolver`.
   */
  credentialResolvers?: CredentialResolver[];
  /**
   * Receives each security event once it is stored in the audit log (docs/audit.md), e.g. to
   * send it to the host's own logger or SIEM. Not awaited; what it throws is logged and changes
   * nothing. Default none.
   */
  onAuditEvent?: AuditEventListener;
  /** Days security events are kept; older ones go with the periodic purge; 0 keeps them forever; default 365. */
  auditRetentionDays?: number;
  /**
   * Organizations with roles and invitations, and `app.requirePermission` for host routes
   * (docs/organizations.md); default true. `false` removes their routes and the guard.
   */
  organizations?: boolean;
  /**
   * Permissions of each organization role for `app.requirePermission`, e.g.
   * `{ admin: ['members:write', 'invoices:write'] }`: a role named gets exactly its list, the
   * others keep their defaults (`DEFAULT_ROLE_PERMISSIONS`; `*` grants everything). Default those.
   */
  roles?: Partial<Record<Role, string[]>>;
  /**
   * This service as an OAuth 2.1 / OpenID Connect provider for other apps (docs/oauth-server.md):
   * `{ enabled: true }`, with `publicUrl` as the issuer. Default off.
   */
  oauthServer?: OAuthServerOptions;
}

/** Every option of the plugin, checked and with its default: what the plugin builds from. */
export interface ResolvedPluginOptions {
  auth: ResolvedAuthOptions;
  /** The request decorator of the public user (`decoratorName`), free on the app. */
  userDecorator: string;
  providers: ResolvedOAuthProvider[];
  /** `oauthFailurePage`, a same-origin path, or none. */
  failurePage: string | undefined;
  browserProtections: BrowserProtectionScope;
  purgeIntervalSeconds: number;
  /** `routePrefix` as given (`/auth`), or none. */
  routePrefix: string | undefined;
  totp: boolean;
  /** `breachedPasswords`, checked; none when off. */
  breachedPasswords: ResolvedBreachedPasswords | undefined;
  /** The role → permissions mapping when organizations are on; none when off. */
  organizations: RolePermissions | undefined;
  /** The provider's settings when `oauthServer` is on; none when off. */
  oauthServer: ResolvedOAuthServer | undefined;
  /** Base of the links the service builds: `publicUrl`, else {@link DEFAULT_LINK_BASE}. */
  linkBase: string;
  /** `credentialResolvers`, checked; empty by default. */
  credentialResolvers: CredentialResolver[];
  /** `onAuditEvent`, checked to be a function, or none. */
  onAuditEvent: AuditEventListener | undefined;
  /** `auditRetentionDays`; 0 keeps events forever. */
  auditRetentionDays: number;
}

/**
 * Checks every option and fills its default, before the plugin does anything else: a bad option
 * is a {@link ConfigError} naming it, thrown before a database file is created, a connection
 * opened or a decorator added (docs/library.md).
 */
export function resolvePluginOptions(app: FastifyInstance, options: FastifyUsersOptions): ResolvedPluginOptions {
  const userDecorator = checkDecoratorName(app, options.decoratorName);
  const auth = resolveAuthOptions(options, () => randomBytes(32).toString('base64url'));
  // A database is never defaulted: an in-memory one would lose every account at restart.
  if (!options.store && !options.databaseUrl) throw new ConfigError('databaseUrl', 'give `store` or `databaseUrl` (e.g. "sqlite:data/auth.db")');
  if (!options.store) checkDatabaseUrl(options.databaseUrl!);
  resolveAccountTokenOptions(options);
  const providers = resolveOAuthProviders(options.oauthProviders);
  // The redirect URI registered at each provider is built from configuration, never from the Host header.
  if (providers.length > 0 && auth.publicUrl === undefined)
    throw new ConfigError('publicUrl', 'is required with oauthProviders (redirect URI: publicUrl/oauth/<name>/callback)');
  const totp = options.totp ?? true;
  if (typeof totp !== 'boolean') throw new ConfigError('totp', 'must be true or false');
  // TOTP secrets are sealed with a key derived from secretKey (docs/two-factor.md): a random key
  // per process would make every enrolled authenticator useless at the next restart.
  if (auth.secretKeyGenerated && (totp || providers.length > 0)) {
    throw new ConfigError(
      'secretKey',
      `is required while TOTP is on (it seals TOTP secrets; \`totp: false\` turns TOTP off)${providers.length > 0 ? ' and with oauthProviders' : ''}`,
    );
  }
  const failurePage = options.oauthFailurePage;
  if (failurePage !== undefined && safeNextPath(failurePage, 'http://localhost') !== failurePage)
    throw new ConfigError('oauthFailurePage', 'must be a same-origin path such as "/"');
  const browserProtections = options.browserProtections ?? DEFAULT_BROWSER_PROTECTIONS;
  if (browserProtections !== 'all-routes' && browserProtections !== 'plugin-routes') {
    throw new ConfigError('browserProtections', 'must be "all-routes" or "plugin-routes"');
  }
  const purgeIntervalSeconds = options.purgeIntervalSeconds ?? DEFAULT_PURGE_INTERVAL_SECONDS;
  if (!Number.isInteger(purgeIntervalSeconds) || purgeIntervalSeconds < 0)
    throw new ConfigError('purgeIntervalSeconds', 'must be a whole number of seconds (0 turns purging off)');
  const routePrefix = options.routePrefix;
  if (routePrefix !== undefined && routePrefix !== '' && !/^\/[^?#\s]*[^/?#\s]$/.test(routePrefix)) {
    throw new ConfigError('routePrefix', 'must be a path such as "/auth" (a leading "/", no trailing "/")');
  }
  const breachedPasswords = resolveBreachedPasswords(options.breachedPasswords);
  const credentialResolvers = options.credentialResolvers ?? [];
  if (!Array.isArray(credentialResolvers) || credentialResolvers.some((r) => typeof r?.name !== 'string' || typeof r?.resolve !== 'function')) {
    throw new ConfigError('credentialResolvers', 'must be a list of {name, resolve(presented)} objects');
  }
  if (options.onAuditEvent !== undefined && typeof options.onAuditEvent !== 'function') throw new ConfigError('onAuditEvent', 'must be a function');
  const auditRetentionDays = options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
  if (!Number.isInteger(auditRetentionDays) || auditRetentionDays < 0)
    throw new ConfigError('auditRetentionDays', 'must be a whole number of days (0 keeps events forever)');
  const organizationsOn = options.organizations ?? true;
  if (typeof organizationsOn !== 'boolean') throw new ConfigError('organizations', 'must be true or false');
  const organizations = organizationsOn ? resolveRolePermissions(options.roles) : undefined;
  const oauthServer = resolveOAuthServer(options.oauthServer, auth.publicUrl);
  return {
    credentialResolvers: [...credentialResolvers],
    auth,
    userDecorator,
    providers,
    failurePage,
    browserProtections,
    purgeIntervalSeconds,
    routePrefix: routePrefix || undefined,
    totp,
    breachedPasswords,
    organizations,
    oauthServer,
    linkBase: auth.publicUrl ?? DEFAULT_LINK_BASE,
    onAuditEvent: options.onAuditEvent,
    auditRetentionDays,
  };
}

/** A request property name: letters, digits, `_` and `$`, not starting with a digit. */
const DECORATOR_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * The request decorator's name, refused with a {@link ConfigError} naming the option when it is
 * not a plain property name or already taken — by `@fastify/jwt` (`request.user`) or any other
 * plugin — rather than Fastify's generic "decorator already present".
 */
function checkDecoratorName(app: FastifyInstance, given: string | undefined): string {
  const name = given ?? DEFAULT_USER_DECORATOR;
  if (typeof name !== 'string' || !DECORATOR_NAME.test(name) || name === 'authSession') {
    throw new ConfigError('decoratorName', 'must be a property name (letters, digits, _ or $) other than "authSession"');
  }
  if (app.hasRequestDecorator(name)) {
    throw new ConfigError(
      'decoratorName',
      `request.${name} is already decorated by another plugin (e.g. @fastify/jwt): set decoratorName to another name, e.g. "account"`,
    );
  }
  return name;
}
