import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler, RouteOptions } from 'fastify';
import { AuthError } from '../core/errors.js';
import type { AccountService } from '../core/account-service.js';
import type { AuditLog } from '../core/audit.js';
import type { AuditStore } from '../features/audit/audit-store.js';
import type { AccountTokens } from '../core/account-tokens.js';
import type { AuthService } from '../core/auth-service.js';
import type { CredentialResolvers } from '../core/credentials.js';
import type { ResolvedAuthOptions } from '../core/options.js';
import { SignInPipeline } from '../core/sign-in.js';
import type { ResolvedOAuthProvider } from '../features/oauth-client/oauth-providers.js';
import type { OAuthServer } from '../features/oauth-server/index.js';
import type { PasskeyService } from '../features/passkeys/passkeys.js';
import type { Throttle } from '../core/throttle.js';
import type { TwoFactorService } from '../features/totp/two-factor.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { Store } from '../core/store.js';
import type { CSRFTokens } from './csrf.js';
import { apiKeyFeature } from '../features/api-keys/index.js';
import { auditFeature } from '../features/audit/index.js';
import { oauthClientFeature } from '../features/oauth-client/index.js';
import { passkeyFeature } from '../features/passkeys/index.js';
import { organizationsFeature } from '../features/organizations/index.js';
import type { OrganizationService } from '../features/organizations/organizations.js';
import { emailSignInFeature } from '../features/email-sign-in/index.js';
import { totpFeature } from '../features/totp/index.js';
import { notFoundHandler } from './framework-errors.js';
import { publicUserReader, type GuardOptions } from './guard.js';
import type { ProtectionScope } from './protection-scope.js';
import { handleError } from './reply-error.js';
import type { AccountRoutesOptions, MailThrottle } from './routes/account-context.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { csrfRoutes } from './routes/csrf.js';
import { healthRoutes } from './routes/health.js';
import { passwordResetRoutes } from './routes/password-reset.js';
import { reauthenticateRoutes } from './routes/reauthenticate.js';
import type { RecentAuthentication } from '../core/recent-authentication.js';
import type { User } from '../core/user.js';
import { notifyCredentialAdded, type AddedCredential } from '../mail/credential-notice.js';
import { profileRoutes } from './routes/profile.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';
import { verificationRoutes } from './routes/verification.js';
import { serializerCompiler } from './serialization.js';
import { FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, parseForm, parseJSON, requireMediaType, validatorCompiler } from './validation.js';

/** Bodies over 64 KiB are refused with 413 (docs/security.md, "Bad input"). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** What the plugin hands its routes: the settings it resolved and the services it built, once, at registration. */
export interface PluginRoutesOptions {
  /** The plugin's `routePrefix` as given (e.g. `/auth`); none puts the routes at the root. */
  routePrefix: string | undefined;
  /** Whether the TOTP enrolment routes are served (the plugin's `totp`). */
  totp: boolean;
  resolved: ResolvedAuthOptions;
  /** Base of the links the service builds (mail, OAuth redirect URIs): `publicUrl`, or the server's default address. */
  linkBase: string;
  store: Store;
  service: AuthService;
  account: AccountService;
  tokens: AccountTokens;
  twoFactor: TwoFactorService;
  passkeys: PasskeyService;
  /** Organizations (the plugin's `organizations`); none when off. */
  organizations: OrganizationService | undefined;
  throttle: Throttle;
  outbox: MailOutbox;
  /** Recent authentication, asked before a way into the account is added (docs/security.md). */
  recent: RecentAuthentication;
  /** Security events (docs/audit.md): record with `auditEvent(audit, request, type, detail)` from http/audit.ts. */
  audit: AuditLog;
  /** The audit log's reading side; `null` when the store keeps no audit table. */
  auditStore: AuditStore | null;
  /** Admits every credential (first-party sessions, provider access tokens, API keys): `GET /users/me` and host routes. */
  authenticate: preHandlerAsyncHookHandler;
  /** Builds a guard on the same credentials, e.g. `guard({ firstParty: true })` for account management. */
  guard: (options: GuardOptions) => preHandlerAsyncHookHandler;
  /** Where a capability registers the credentials it issues (provider access tokens, API keys): `credentials.register(resolver)`. */
  credentials: CredentialResolvers;
  csrf: CSRFTokens;
  /** Marks each of our routes as the plugin's, for `browserProtections: 'plugin-routes'`. */
  scope: ProtectionScope;
  providers: ResolvedOAuthProvider[];
  /** The plugin's `oauthFailurePage`, already checked to be a same-origin path. */
  failurePage: string | undefined;
  /** The plugin's `mailThrottle`; without it, the shared counters' mail limits. */
  mailThrottle: MailThrottle | undefined;
  /** The request decorator the guards set the public user on (the plugin's `decoratorName`). */
  userDecorator: string;
  /** Our OAuth 2.1 / OpenID Connect provider when `oauthServer` is on (docs/oauth-server.md); none when off. */
  oauthServer: OAuthServer | undefined;
}

/**
 * Registers the plugin's routes on `app`. They live in their own encapsulated context: their
 * validator, error format and `Cache-Control: no-store` apply to them without touching the host
 * application's routes.
 */
export async function registerPluginRoutes(app: FastifyInstance, options: PluginRoutesOptions): Promise<void> {
  const { resolved, store, service, account, tokens, twoFactor, passkeys, throttle, outbox, recent, csrf, scope, providers, failurePage } = options;
  // Managing the account — profile, password, email, TOTP, passkeys, sessions, linked accounts,
  // re-authentication, API keys, admin — needs a session signed in here: a provider access token
  // or an API key acts within its scopes only and never changes the account (403
  // FIRST_PARTY_SESSION_REQUIRED, docs/resource-server.md). `GET /users/me` admits every credential.
  const authenticate = options.guard({ firstParty: true });
  // Every added way in is mailed to the user (docs/security.md, "Recent authentication").
  const credentialAdded = (user: User, credential: AddedCredential) => notifyCredentialAdded(outbox, user, credential, resolved.now());
  await app.register(
    async (routes) => {
      routes.setValidatorCompiler(validatorCompiler);
      routes.setSerializerCompiler(serializerCompiler);
      routes.setErrorHandler(handleError);
      // Our own body parsers, for our routes only: duplicate form keys stay visible (as arrays, so
      // the schema refuses them) and `__proto__`/`constructor` keys are a 400 `FORBIDDEN_KEY`
      // whatever the host app's parser settings (docs/security.md, "Bad input").
      for (const [type, parse] of [
        [FORM_MEDIA_TYPE, parseForm],
        [JSON_MEDIA_TYPE, parseJSON],
      ] as const) {
        if (routes.hasContentTypeParser(type)) routes.removeContentTypeParser(type);
        routes.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
          try {
            done(null, parse(body as string));
          } catch (error) {
            done(error as Error, undefined);
          }
        });
      }
      // The CSRF cookie is minted on these routes only; the host's are checked, never given one.
      csrf.mintOn(routes);
      routes.addHook('onRoute', (route) => {
        route.bodyLimit ??= DEFAULT_BODY_LIMIT;
        refuseImpersonationOn(route, options.routePrefix ?? '');
        requireDeclaredMediaType(route);
        scope.markPluginRoute(route);
      });
      // Set first, so a route that needs another policy overrides it; synchronous, as it runs on
      // every request (an async hook costs a promise and a microtask).
      routes.addHook('onRequest', (_request, reply, done) => {
        reply.header('cache-control', 'no-store');
        done();
      });
      // Under its own prefix the plugin owns the 404 too (our format, no-store); at the root the
      // 404 is the host's, which can pass `notFoundHandler` (docs/security-hardening.md).
      if (options.routePrefix) routes.setNotFoundHandler(notFoundHandler);
      const routePrefix = options.routePrefix ?? '';
      // Every way in hands its proof to this one pipeline (docs/architecture.md, "Sign-in"); TOTP is its second factor.
      // Each opened session and refused proof is recorded there too (docs/audit.md).
      const signIn = new SignInPipeline(service, throttle, twoFactor, options.audit);
      await routes.register(authRoutes, { service, signIn, authenticate, throttle, audit: options.audit });
      await routes.register(userRoutes, { authenticate: options.authenticate, userOf: publicUserReader(options.userDecorator) });
      await routes.register(csrfRoutes, { csrf });
      await routes.register(healthRoutes, { store });
      await routes.register(reauthenticateRoutes, { recent, options: resolved, authenticate, audit: options.audit });
      // Default: 3 mails per account and 20 per address per hour, in the shared counters.
      const mailThrottle: MailThrottle = options.mailThrottle ?? (async (action, key) => throttle.consume(throttle.mailKeys(action, key.email, key.ip)));
      const accountRoutes: AccountRoutesOptions = {
        account,
        tokens,
        outbox,
        options: resolved,
        authenticate,
        superuser: options.guard({ superuser: true }),
        throttle: mailThrottle,
        audit: options.audit,
      };
      for (const routesOf of [passwordResetRoutes, verificationRoutes, profileRoutes, sessionRoutes, adminRoutes]) {
        await routes.register(routesOf, accountRoutes);
      }
      // The capabilities (src/features/*): one sub-plugin each, on the kernel's services.
      if (options.totp) await routes.register(totpFeature, { twoFactor, authenticate, throttle, credentialAdded, audit: options.audit });
      await routes.register(passkeyFeature, { service, passkeys, signIn, authenticate, throttle, recent, credentialAdded, audit: options.audit });
      await routes.register(apiKeyFeature, {
        service,
        credentials: options.credentials,
        organizations: options.organizations,
        authenticate,
        recent,
        credentialAdded,
        audit: options.audit,
      });
      await routes.register(oauthClientFeature, {
        service,
        signIn,
        throttle,
        authenticate,
        recent,
        credentialAdded,
        providers,
        baseURL: `${options.linkBase}${routePrefix}`,
        routePrefix,
        failurePage,
        audit: options.audit,
      });
      if (options.auditStore) {
        await routes.register(auditFeature, {
          store: options.auditStore,
          service,
          signIn,
          audit: options.audit,
          authenticate,
          superuser: accountRoutes.superuser,
        });
      }
      if (options.oauthServer) {
        const { oauthClientRoutes } = await import('../features/oauth-server/admin-routes.js');
        await routes.register(oauthClientRoutes, {
          clients: options.oauthServer.clients,
          engine: options.oauthServer.engine,
          superuser: accountRoutes.superuser,
        });
        const { grantRoutes } = await import('../features/oauth-server/grant-routes.js');
        await routes.register(grantRoutes, { grants: options.oauthServer.grants, authenticate, audit: options.audit });
      }
      if (options.organizations) await routes.register(organizationsFeature, { organizations: options.organizations, authenticate, audit: options.audit });
      await routes.register(emailSignInFeature, {
        service,
        signIn,
        throttle,
        mailThrottle,
        outbox,
        linkBase: `${options.linkBase}${routePrefix}`,
        signup: resolved.emailSignup,
        audit: options.audit,
      });
    },
    { prefix: options.routePrefix ?? '' },
  );
}

/**
 * A route with a body reads only the media types it declares — OpenAPI's `consumes` (the form
 * routes), JSON otherwise — and refuses any other with 415 before a byte is parsed: both parsers
 * are registered for all our routes, so without this a form body would reach a JSON route and
 * be applied (OWASP REST Security CS, "Validate content types"). Derived from the schema so a
 * new route cannot forget it.
 */
function requireDeclaredMediaType(route: RouteOptions): void {
  if (!route.schema?.body) return;
  const consumes = (route.schema as { consumes?: string[] }).consumes ?? [JSON_MEDIA_TYPE];
  route.onRequest = [requireMediaType(...consumes), ...[route.onRequest ?? []].flat()];
}

/**
 * The routes an impersonation session may not use (docs/audit.md, "Impersonation"): those that
 * change how the account signs in or who holds it — password, email, second factor, passkeys,
 * API keys, provider links, re-authentication, deleting the account. A superuser helping a user
 * sees what they see but cannot take the account over (OWASP ASVS 5.0 V8, least privilege).
 */
const READ_ONLY_DURING_IMPERSONATION = new Set([
  'PATCH /users/me',
  'DELETE /users/me',
  'POST /users/me/reauthenticate',
  'POST /users/me/totp',
  'POST /users/me/totp/confirm',
  'DELETE /users/me/totp',
  'POST /users/me/passkeys/options',
  'POST /users/me/passkeys',
  'DELETE /users/me/passkeys/:id',
  'POST /users/me/api-keys',
  'DELETE /users/me/api-keys/:id',
  'POST /orgs/:id/api-keys',
  'DELETE /orgs/:id/api-keys/:keyId',
  'POST /oauth/:provider/link',
  'DELETE /users/me/accounts/:id',
]);

/** Adds, after the route's guard, the refusal of an impersonation session when the route is one of {@link READ_ONLY_DURING_IMPERSONATION}. */
function refuseImpersonationOn(route: RouteOptions, routePrefix: string): void {
  const path = route.url.startsWith(routePrefix) ? route.url.slice(routePrefix.length) : route.url;
  const methods = [route.method].flat();
  if (!methods.some((method) => READ_ONLY_DURING_IMPERSONATION.has(`${method} ${path}`))) return;
  route.preValidation = [...[route.preValidation ?? []].flat(), refuseImpersonation];
}

/** Synchronous, as the guard's admitted path is: 403 IMPERSONATION_READ_ONLY for a session a superuser opened as this user. */
function refuseImpersonation(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const session = request.authSession as FastifyRequest['authSession'] | null;
  if (session?.kind === 'session' && session.impersonatorId !== undefined) done(new AuthError('IMPERSONATION_READ_ONLY'));
  else done();
}
