import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { randomBytes } from 'node:crypto';
import { AccountService } from '../core/account-service.js';
import { AccountTokens, type AccountTokenOptions } from '../core/account-tokens.js';
import { AuthService, type Session } from '../core/auth-service.js';
import type { Mailer } from '../core/mail.js';
import { ConfigError } from '../core/errors.js';
import { resolveAuthOptions, type AuthOptions } from '../core/options.js';
import { PasskeyService, relyingPartyOf } from '../features/passkeys/passkeys.js';
import { SecretBox } from '../core/secret-box.js';
import { resolveOAuthProviders, type OAuthProviderOptions } from '../features/oauth-client/oauth-providers.js';
import { safeNextPath } from '../core/safe-redirect.js';
import { Throttle } from '../core/throttle.js';
import { TwoFactorService } from '../features/totp/two-factor.js';
import type { PublicUser } from '../core/user.js';
import { SQLStore } from '../store/sql/sql-store.js';
import { MemoryCounterStore } from '../store/memory-counters.js';
import type { CounterStore, Store } from '../core/store.js';
import { registerCORS } from './cors.js';
import { registerCSRF } from './csrf.js';
import { createLogMailer } from '../mail/log-mailer.js';
import { MailOutbox } from '../mail/outbox.js';
import { createGuard, DEFAULT_USER_DECORATOR, type GuardOptions } from './guard.js';
import { kSessionChange } from './session-change.js';
import { createProtectionScope, DEFAULT_BROWSER_PROTECTIONS, type BrowserProtectionScope } from './protection-scope.js';
import { setUpSessionCache } from './session-cache-setup.js';
import type { SessionChannel } from '../store/session-channel.js';
import { registerOriginCheck } from './origin-check.js';
import { registerPluginRoutes } from './plugin-routes.js';
import { declareAuthCookieDigest } from './transport.js';
import type { MailThrottle } from './routes/account-context.js';

export { DEFAULT_BODY_LIMIT } from './plugin-routes.js';

/** How often expired tokens are purged. */
export const DEFAULT_PURGE_INTERVAL_SECONDS = 600;
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
}

/**
 * The type-level twin of `decoratorName`: an app that renames the request decorator says so here
 * too, so that `request.<name>` is typed and `request.user` is left to its owner:
 * `declare module 'fastify-users' { interface FastifyUsersTypes { decoratorName: 'account' } }`.
 */
export interface FastifyUsersTypes {}

/** The request decorator's name in the types: `FastifyUsersTypes['decoratorName']`, else `user`. */
export type UserDecoratorName = FastifyUsersTypes extends { decoratorName: infer Name extends string } ? Name : 'user';

/**
 * The plugin's services, under one namespaced decorator (`app.fastifyUsers`), as the official
 * `@fastify/*` plugins add only their own names: no `auth` (owned by `@fastify/auth`) and no
 * `session` (owned by `@fastify/session`).
 */
export interface FastifyUsersServices {
  /** The domain service: register, authenticate, issue/resolve/revoke tokens. */
  auth: AuthService;
  /** Profile, sessions and superuser administration. */
  account: AccountService;
  /** Password-reset and email-verification tokens. */
  accountTokens: AccountTokens;
  /** Failure counting for password checks and other abusable routes (docs/security.md, "Brute force"). */
  throttle: Throttle;
  /** TOTP and recovery codes (docs/two-factor.md). */
  twoFactor: TwoFactorService;
  /** Passkeys: WebAuthn registration and sign-in (docs/two-factor.md). */
  passkeys: PasskeyService;
  /** Background mail delivery; `await app.fastifyUsers.mailOutbox.drain()` waits for queued mail. */
  mailOutbox: MailOutbox;
  /** A guard with options, e.g. `app.fastifyUsers.guard({ superuser: true })`. */
  guard(options?: GuardOptions): preHandlerAsyncHookHandler;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** fastify-users' services (see {@link FastifyUsersServices}). */
    fastifyUsers: FastifyUsersServices;
    /** One-line guard: `{ preHandler: app.authenticate }` admits only authenticated requests. */
    authenticate: preHandlerAsyncHookHandler;
  }
  /** The authenticated user (public fields), set by `app.authenticate`, as `request.user` or the name of `decoratorName`. */
  interface FastifyRequest extends Record<UserDecoratorName, PublicUser> {
    /** The authenticated session (domain user and token digest); set by `app.authenticate`. */
    authSession: Session;
  }
}

const plugin: FastifyPluginAsync<FastifyUsersOptions> = async (app, options) => {
  const userDecorator = checkDecoratorName(app, options.decoratorName);
  const resolved = resolveAuthOptions(options, () => randomBytes(32).toString('base64url'));
  if (resolved.secretKeyGenerated) {
    app.log.warn('SECRET_KEY is not set: using a random key for this process (CSRF tokens will not survive a restart)');
  }
  // A database is never defaulted: an in-memory one would lose every account at restart.
  if (!options.store && !options.databaseUrl) throw new ConfigError('databaseUrl', 'give `store` or `databaseUrl` (e.g. "sqlite:data/auth.db")');
  const providers = resolveOAuthProviders(options.oauthProviders);
  // The redirect URI registered at each provider is built from configuration, never from the Host header.
  if (providers.length > 0 && resolved.publicUrl === undefined) throw new ConfigError('publicUrl', 'is required with oauthProviders (redirect URI: publicUrl/oauth/<name>/callback)');
  const failurePage = options.oauthFailurePage;
  if (failurePage !== undefined && safeNextPath(failurePage, 'http://localhost') !== failurePage) throw new ConfigError('oauthFailurePage', 'must be a same-origin path such as "/"');
  const openedStore = options.store ?? (await SQLStore.open(options.databaseUrl!));
  if (!options.store) app.addHook('onClose', async () => openedStore.close());
  // Every service sees the store through the cache's choke point (src/store/session-effects.ts).
  const { store, sessions } = await setUpSessionCache(app, openedStore, resolved, options.sessionChannel);

  const counters = options.counters ?? new MemoryCounterStore({ now: () => resolved.now().getTime() });
  if (!options.counters) app.addHook('onClose', async () => counters.close());
  const throttle = new Throttle(counters, resolved.throttle);

  const service = new AuthService(store, resolved, { sessions });
  const authenticate = createGuard(service, {}, userDecorator);
  app.decorate('authenticate', authenticate);
  if (!options.mailer) {
    app.log.warn(options.logMailBody
      ? 'no mailer configured (SMTP_URL is not set): reset and verification mail, links included, is written to this log (development only)'
      : 'no mailer configured (SMTP_URL is not set): reset and verification mail is NOT delivered; only its recipient and subject are logged');
  }
  if (resolved.publicUrl === undefined) {
    app.log.warn(`publicUrl is not set: links in mail point to ${DEFAULT_LINK_BASE}`);
  }
  const linkBase = resolved.publicUrl ?? DEFAULT_LINK_BASE;
  const mailer = options.mailer ?? createLogMailer(app.log, { includeBody: options.logMailBody ?? false });
  const outbox = new MailOutbox(mailer, app.log);
  const account = new AccountService(service, throttle);
  // TOTP secrets are sealed with a key derived from SECRET_KEY; fallbacks still open (docs/two-factor.md).
  const secretBox = new SecretBox([resolved.secretKey, ...resolved.secretKeyFallbacks], 'totp-secret');
  const twoFactor = new TwoFactorService(service, account, secretBox, new URL(linkBase).host);
  // WebAuthn's RP ID and origin come from configuration, never from the Host header.
  const passkeys = new PasskeyService(service, relyingPartyOf(linkBase));
  // Links come from configuration only, never from the request's Host header (CVE class of
  // "password reset poisoning", OWASP Forgot Password CS).
  const tokens = new AccountTokens(service, linkBase + (options.routePrefix ?? ''), options);
  app.decorate('fastifyUsers', {
    auth: service,
    account,
    accountTokens: tokens,
    throttle,
    twoFactor,
    passkeys,
    mailOutbox: outbox,
    guard: (guardOptions?: GuardOptions) => createGuard(service, guardOptions, userDecorator),
  } satisfies FastifyUsersServices);
  app.addHook('onClose', async () => {
    await outbox.drain();
    await mailer.close?.();
  });
  app.decorateRequest(userDecorator, null as never);
  app.decorateRequest('authSession', null as never);
  app.decorateRequest(kSessionChange, undefined);
  declareAuthCookieDigest(app);

  if (!app.hasPlugin('@fastify/cookie')) await app.register(fastifyCookie);

  // Browser protections (docs/security.md) in the outer, non-encapsulated scope (fastify-plugin), so they
  // hold for every route of the host app as well as ours. All three run in onRequest, in this
  // order after the cookie parser: CORS answers preflight first (before any authentication),
  // then the Origin check, then CSRF — so a refused request never reaches a handler.
  const scopeName = options.browserProtections ?? DEFAULT_BROWSER_PROTECTIONS;
  if (scopeName !== 'all-routes' && scopeName !== 'plugin-routes') {
    throw new ConfigError('browserProtections', 'must be "all-routes" or "plugin-routes"');
  }
  const scope = createProtectionScope(app, scopeName);
  await registerCORS(app, resolved, scope);
  registerOriginCheck(app, resolved, scope);
  const csrf = registerCSRF(app, resolved, scope);

  const purgeEvery = options.purgeIntervalSeconds ?? DEFAULT_PURGE_INTERVAL_SECONDS;
  if (purgeEvery > 0) {
    const timer = setInterval(() => {
      Promise.all([service.purgeExpiredTokens(), tokens.purgeExpired(), passkeys.purgeExpiredChallenges()]).catch((err: unknown) => app.log.warn({ err }, 'purging expired tokens failed'));
    }, purgeEvery * 1000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  // The routes live in their own encapsulated context (http/plugin-routes.ts): their validator,
  // error format and `Cache-Control: no-store` apply to them without touching the host
  // application's routes.
  await registerPluginRoutes(app, {
    routePrefix: options.routePrefix,
    resolved,
    linkBase,
    store,
    service,
    account,
    tokens,
    twoFactor,
    passkeys,
    throttle,
    outbox,
    authenticate,
    csrf,
    scope,
    providers,
    failurePage,
    mailThrottle: options.mailThrottle,
    userDecorator,
  });
};

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
    throw new ConfigError('decoratorName', `request.${name} is already decorated by another plugin (e.g. @fastify/jwt): set decoratorName to another name, e.g. "account"`);
  }
  return name;
}

/**
 * The fastify-users plugin: the routes of docs/api.md, bearer and cookie transports, and
 * `app.authenticate` for the host's own routes.
 */
export const fastifyUsers = fp(plugin, { fastify: '5.x', name: 'fastify-users' });
