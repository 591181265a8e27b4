import fastifyCookie from '@fastify/cookie';
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { AccountService } from '../core/account-service.js';
import { AccountTokens } from '../core/account-tokens.js';
import { RecentAuthentication } from '../core/recent-authentication.js';
import { AuthService } from '../core/auth-service.js';
import { CredentialResolvers, type AuthSession } from '../core/credentials.js';
import { breachedPasswordsFeature } from '../features/breached-passwords/index.js';
import { setUpOrganizations } from '../features/organizations/index.js';
import { PasskeyService, relyingPartyOf } from '../features/passkeys/passkeys.js';
import { SecretBox } from '../core/secret-box.js';
import { Throttle } from '../core/throttle.js';
import { TwoFactorService } from '../features/totp/two-factor.js';
import type { PublicUser } from '../core/user.js';
import { SQLStore } from '../store/sql/sql-store.js';
import { auditFeatureLog } from '../features/audit/index.js';
import { purgeExpiredArtifacts } from '../features/oauth-server/sql-adapter.js';
import { MemoryCounterStore } from '../store/memory-counters.js';
import { registerCORS } from './cors.js';
import { registerCSRF } from './csrf.js';
import { createLogMailer } from '../mail/log-mailer.js';
import { MailOutbox } from '../mail/outbox.js';
import { createGuard, createScopeGuard, type GuardOptions } from './guard.js';
import { createProtectionScope } from './protection-scope.js';
import { setUpSessionCache } from './session-cache-setup.js';
import { registerOriginCheck } from './origin-check.js';
import { resolvePluginOptions, type FastifyUsersOptions } from './plugin-options.js';
import { registerPluginRoutes } from './plugin-routes.js';
import { declareRequestState } from './request-state.js';
import type { FastifyUsersInternals, FastifyUsersServices } from './services.js';

export { DEFAULT_BODY_LIMIT } from './plugin-routes.js';

export { DEFAULT_LINK_BASE, DEFAULT_PURGE_INTERVAL_SECONDS, type FastifyUsersOptions } from './plugin-options.js';

/**
 * The type-level twin of `decoratorName`: an app that renames the request decorator says so here
 * too, so that `request.<name>` is typed and `request.user` is left to its owner:
 * `declare module 'fastify-users' { interface FastifyUsersTypes { decoratorName: 'account' } }`.
 */
export interface FastifyUsersTypes {}

/** The request decorator's name in the types: `FastifyUsersTypes['decoratorName']`, else `user`. */
export type UserDecoratorName = FastifyUsersTypes extends { decoratorName: infer Name extends string } ? Name : 'user';

export type { FastifyUsersServices } from './services.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** fastify-users' services (see {@link FastifyUsersServices}). */
    fastifyUsers: FastifyUsersServices;
    /**
     * One-line guard: `{ preHandler: app.authenticate }` admits only authenticated requests — a
     * first-party session, or a credential a resolver admits (docs/resource-server.md).
     */
    authenticate: preHandlerAsyncHookHandler;
    /**
     * A preHandler admitting a credential that holds every one of `scopes` (a first-party session
     * holds them all); 403 `INSUFFICIENT_SCOPE` with `WWW-Authenticate: Bearer error="insufficient_scope"`
     * otherwise (RFC 6750 §3.1). Authenticates too when no guard ran before it.
     */
    requireScopes(...scopes: string[]): preHandlerAsyncHookHandler;
  }
  /** The authenticated user (public fields), set by `app.authenticate`, as `request.user` or the name of `decoratorName`. */
  interface FastifyRequest extends Record<UserDecoratorName, PublicUser> {
    /**
     * What the request authenticated with, set by `app.authenticate`: `kind` `'session'` (a
     * first-party session: user and token digest), `'provider'` (our OAuth provider's access
     * token: `clientId`, `scopes`) or `'api_key'` (`keyId`, `scopes`, `orgId`).
     */
    authSession: AuthSession;
  }
  interface FastifyContextConfig {
    /** Scopes the route needs: the same check as `app.requireScopes(...)`, run after the route's own preHandlers. */
    requireScopes?: string[];
  }
}

const plugin: FastifyPluginAsync<FastifyUsersOptions> = async (app, options) => {
  // Every option is checked first: a bad one fails before any file, connection or decorator.
  const settings = resolvePluginOptions(app, options);
  const { auth: resolved, userDecorator, providers, failurePage, linkBase } = settings;
  if (resolved.secretKeyGenerated) {
    app.log.warn('SECRET_KEY is not set: using a random key for this process (CSRF tokens will not survive a restart)');
  }
  const openedStore = options.store ?? (await SQLStore.open(options.databaseUrl!));
  if (!options.store) app.addHook('onClose', async () => openedStore.close());
  // Every service sees the store through the cache's choke point (src/store/session-effects.ts).
  const { store, sessions, report: reportSessionChange } = await setUpSessionCache(app, openedStore, resolved, options.sessionChannel);

  const counters = options.counters ?? new MemoryCounterStore({ now: () => resolved.now().getTime() });
  if (!options.counters) app.addHook('onClose', async () => counters.close());
  const throttle = new Throttle(counters, resolved.throttle);

  const service = new AuthService(store, resolved, { sessions });
  // Security events (docs/audit.md): appended to the database's hash chain, then handed to the host.
  const audit = auditFeatureLog(openedStore, resolved, settings, app.log);
  if (settings.breachedPasswords) await app.register(breachedPasswordsFeature, { auth: service, config: settings.breachedPasswords });
  // Credentials other than first-party sessions, asked in order (docs/resource-server.md): the
  // host's first, then those the capabilities register.
  const credentials = new CredentialResolvers(settings.credentialResolvers);
  const guardWith = (guardOptions?: GuardOptions) => createGuard(service, guardOptions, userDecorator, credentials);
  const authenticate = guardWith({});
  const requireScopes = (...scopes: string[]) => createScopeGuard(guardWith({ scopes }), scopes);
  app.decorate('authenticate', authenticate);
  app.decorate('requireScopes', requireScopes);
  // The route option `config: { requireScopes: [...] }`, on the host's routes as on ours.
  app.addHook('onRoute', (route) => {
    const scopes = route.config?.requireScopes;
    if (scopes === undefined) return;
    if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string' || scope === '')) {
      throw new TypeError(`${route.method} ${route.url}: config.requireScopes must be a list of scope names`);
    }
    route.preHandler = [...[route.preHandler ?? []].flat(), requireScopes(...scopes)];
  });
  if (!options.mailer) {
    app.log.warn(
      options.logMailBody
        ? 'no mailer configured (SMTP_URL is not set): reset and verification mail, links included, is written to this log (development only)'
        : 'no mailer configured (SMTP_URL is not set): reset and verification mail is NOT delivered; only its recipient and subject are logged',
    );
  }
  if (resolved.publicUrl === undefined) {
    app.log.warn(`publicUrl is not set: links in mail point to ${linkBase}`);
  }
  const mailer = options.mailer ?? createLogMailer(app.log, { includeBody: options.logMailBody ?? false });
  const outbox = new MailOutbox(mailer, app.log);
  const account = new AccountService(service, throttle);
  // TOTP secrets are sealed with a key derived from SECRET_KEY; fallbacks still open (docs/two-factor.md).
  const secretBox = new SecretBox([resolved.secretKey, ...resolved.secretKeyFallbacks], 'totp-secret');
  const twoFactor = new TwoFactorService(service, account, secretBox, new URL(linkBase).host);
  // WebAuthn's RP ID and origin come from configuration, never from the Host header.
  const passkeys = new PasskeyService(service, relyingPartyOf(linkBase));
  const recent = new RecentAuthentication({ auth: service, account, secondFactor: twoFactor, passkeys, throttle });
  // Links come from configuration only, never from the request's Host header (CVE class of
  // "password reset poisoning", OWASP Forgot Password CS).
  const tokens = new AccountTokens(service, linkBase + (settings.routePrefix ?? ''), options);
  // Organizations (docs/organizations.md): `app.requirePermission` on the host app, routes below.
  const organizations = settings.organizations
    ? setUpOrganizations(app, {
        store,
        throttle,
        outbox,
        roles: settings.organizations,
        authenticate,
        linkBase: linkBase + (settings.routePrefix ?? ''),
        now: resolved.now,
        beforeUserDeletion: (check) => account.beforeUserDeletion(check),
      })
    : undefined;
  app.decorate('fastifyUsers', {
    auth: service,
    account,
    accountTokens: tokens,
    throttle,
    twoFactor,
    passkeys,
    mailOutbox: outbox,
    audit: audit.log,
    guard: guardWith,
    registerCredentialResolver: (resolver) => credentials.register(resolver),
    organizations,
    // Set below, once the provider is mounted.
    oauthServer: undefined,
  } satisfies FastifyUsersInternals);
  app.addHook('onClose', async () => {
    await outbox.drain();
    await mailer.close?.();
  });
  app.decorateRequest(userDecorator, null as never);
  app.decorateRequest('authSession', null as never);
  declareRequestState(app);

  // Loaded only when on: the engine and its dependencies cost nothing to a service that is not a
  // provider. Its discovery document and JWKS are answered before the hooks below
  // (features/oauth-server/mount.ts); the rest is set up further down.
  const provider = settings.oauthServer ? (await import('../features/oauth-server/index.js')).prepareOAuthServer(app, settings.oauthServer) : undefined;

  if (!app.hasPlugin('@fastify/cookie')) await app.register(fastifyCookie);

  // Browser protections (docs/security.md) in the outer, non-encapsulated scope (fastify-plugin), so they
  // hold for every route of the host app as well as ours. All three run in onRequest, in this
  // order after the cookie parser: CORS answers preflight first (before any authentication),
  // then the Origin check, then CSRF — so a refused request never reaches a handler.
  const scope = createProtectionScope(app, settings.browserProtections);
  await registerCORS(app, resolved, scope);
  registerOriginCheck(app, resolved, scope);
  const csrf = registerCSRF(app, resolved, scope);

  // This service as an OAuth 2.1 / OpenID Connect provider (docs/oauth-server.md), at the app's
  // root: its discovery documents belong at the issuer's, and its JWT access tokens are admitted
  // by `app.authenticate` on every route.
  const oauthServer = provider
    ? await provider.setUp({
        service,
        store,
        credentials,
        throttle,
        secretKeys: [resolved.secretKey, ...resolved.secretKeyFallbacks],
        authCookieName: resolved.authCookieName,
        routePrefix: settings.routePrefix ?? '',
        loginPage: failurePage ?? '/',
        sql: openedStore instanceof SQLStore ? { db: openedStore.db, dialect: openedStore.dialect } : undefined,
        audit: audit.log,
        sessions: sessions && reportSessionChange ? { cache: sessions, report: reportSessionChange } : undefined,
      })
    : undefined;

  (app.fastifyUsers as FastifyUsersInternals).oauthServer = oauthServer;

  const purgeEvery = settings.purgeIntervalSeconds;
  if (purgeEvery > 0) {
    // The provider's expired codes and tokens (docs/oauth-server.md), when it is on over our SQL store.
    const purgeOAuthServer =
      settings.oauthServer && openedStore instanceof SQLStore
        ? () => purgeExpiredArtifacts(openedStore.db, openedStore.dialect, resolved.now())
        : async () => 0;
    const timer = setInterval(() => {
      Promise.all([
        service.purgeExpiredTokens(),
        tokens.purgeExpired(),
        passkeys.purgeExpiredChallenges(),
        audit.prune(),
        purgeOAuthServer(),
        // Revoked and expired API keys refuse every request already; their rows go (docs/api-keys.md).
        service.store.apiKeys.deleteDeadApiKeys(resolved.now()),
      ]).catch((err: unknown) => app.log.warn({ err }, 'purging expired tokens failed'));
    }, purgeEvery * 1000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  // The routes live in their own encapsulated context (http/plugin-routes.ts): their validator,
  // error format and `Cache-Control: no-store` apply to them without touching the host
  // application's routes.
  await registerPluginRoutes(app, {
    routePrefix: settings.routePrefix,
    totp: settings.totp,
    resolved,
    linkBase,
    store,
    service,
    account,
    tokens,
    twoFactor,
    passkeys,
    organizations,
    throttle,
    outbox,
    recent,
    audit: audit.log,
    auditStore: audit.store,
    authenticate,
    guard: guardWith,
    credentials,
    csrf,
    scope,
    providers,
    failurePage,
    mailThrottle: options.mailThrottle,
    userDecorator,
    oauthServer,
  });
};

/**
 * The fastify-users plugin: the routes of docs/api.md, bearer and cookie transports, and
 * `app.authenticate` for the host's own routes.
 */
export const fastifyUsers = fp(plugin, { fastify: '5.x', name: 'fastify-users' });
