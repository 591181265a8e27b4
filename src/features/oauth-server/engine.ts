import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JWK } from 'jose';
import Provider, { errors as engineErrors, interactionPolicy, type Configuration } from 'oidc-provider';
import type { User } from '../../core/user.js';
import { clientSecretDigest, newClientId } from './clients.js';
import { devicePages, errorPage, pagePolicy } from './pages.js';
import type { OAuthServerAdapter, ResolvedOAuthServer } from './options.js';

/** Where the engine's endpoints live, under the plugin's prefix; clients find them through discovery. */
export const ENGINE_PATH = '/oauth2';
/** RFC 9700 §4.2.1 and OAuth 2.1 §4.1.2: an authorization code lives a minute at most. */
export const AUTHORIZATION_CODE_LIFETIME = 60;
/** A visitor has this long to sign in and consent before the authorization request must start again. */
export const INTERACTION_LIFETIME = 600;
/** Device codes (RFC 8628 §3.2): ten minutes to enter the user code. */
export const DEVICE_CODE_LIFETIME = 600;

/** The user signed in here (our auth cookie's session) on a request handed to the engine, set by the mount. */
export const kSignedInUser: unique symbol = Symbol('fastify-users.oauth-server.signedInUser');
/** The user code a device's `verification_uri_complete` carried, taken off the URL by the mount (see mount.ts). */
export const kGivenUserCode: unique symbol = Symbol('fastify-users.oauth-server.givenUserCode');
export type EngineRequest = IncomingMessage & { [kSignedInUser]?: number | null; [kGivenUserCode]?: string };
/** The device flow's page for the user code (RFC 8628 §3.3 `verification_uri`), under the engine's path. */
export const DEVICE_PAGE_PATH = '/device';

/** What the engine needs of the rest of the service. */
export interface EngineDependencies {
  settings: ResolvedOAuthServer;
  /** `SECRET_KEY` then its fallbacks: the engine's cookie keys are derived from them. */
  secretKeys: readonly string[];
  /** Private signing keys (JWK, RS256, each with a `kid`); the first signs. */
  signingKeys: JWK[];
  findUser(id: number): Promise<User | null>;
  /** The engine's storage class (features/oauth-server/memory-adapter.ts by default). */
  adapter: OAuthServerAdapter;
  /** The engine's base path under the app (`<routePrefix>/oauth2`). */
  basePath: string;
  /** The web page where a user manages their account (a path on this origin), linked from the device pages. */
  accountPage: string;
}

/** The client metadata we add to RFC 7591's: a first-party client's users are not asked to consent (docs/oauth-server.md). */
export const FIRST_PARTY = 'first_party';

/**
 * The OAuth 2.1 / OpenID Connect engine (oidc-provider, OpenID Certified), configured for this
 * service: authorization code with PKCE S256 for every client (OAuth 2.1 §4.1.1; RFC 9700 §2.1.1),
 * no implicit or hybrid response types (RFC 9700 §2.1.2), refresh tokens rotated on every use
 * with a reused one revoking the grant (RFC 9700 §4.14.2), client credentials and device
 * authorization (RFC 8628), `iss` in authorization responses (RFC 9207), JWT access tokens
 * (RFC 9068) for the configured resources (RFC 8707), revocation (RFC 7009), introspection
 * (RFC 7662) for confidential clients, and userinfo.
 */
export function createEngine(deps: EngineDependencies): Provider {
  const { settings } = deps;
  const policy = interactionPolicy.base();
  // The engine keeps a session of its own; ours (the auth cookie) is the truth: signed out here,
  // or signed in as someone else, means signing in again (prompt=none then answers login_required).
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('session_changed', 'End-User authentication is required', 'login_required', (ctx) => {
      const signedIn = (ctx.req as EngineRequest)[kSignedInUser];
      const accountId = ctx.oidc.session?.accountId;
      return accountId !== undefined && signedIn != null && String(signedIn) === accountId
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
    0,
  );

  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: { keys: deps.signingKeys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      // Keys derived from SECRET_KEY (and its fallbacks, which still verify): every instance signs the same.
      keys: deps.secretKeys.map((key) => createHmac('sha256', key).update('fastify-users oauth-server cookies').digest('base64url')),
    },
    async findAccount(_ctx, sub) {
      if (!/^\d{1,15}$/.test(sub)) return undefined;
      const user = await deps.findUser(Number(sub));
      // A deactivated or deleted user gets no tokens, even from a grant that still stands.
      if (!user?.isActive) return undefined;
      return {
        accountId: sub,
        claims: async () => ({ sub, email: user.email, email_verified: user.isVerified }),
      };
    },
    // `amr` (RFC 8176) and `auth_time` come from our session; the engine releases only claims named here.
    claims: { openid: ['sub', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: [] },
    // With scope `email`, the ID token carries the email claims too (not only userinfo).
    conformIdTokenClaims: false,
    scopes: settings.scopes,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    routes: {
      authorization: '/authorize',
      token: '/token',
      userinfo: '/userinfo',
      jwks: '/jwks',
      revocation: '/revoke',
      introspection: '/introspect',
      // Not under /device/: the engine resumes device sign-ins at /device/:uid.
      device_authorization: '/device_authorization',
      code_verification: DEVICE_PAGE_PATH,
      end_session: '/logout',
      registration: '/register',
      pushed_authorization_request: '/par',
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    // No HMAC anywhere: a client's secret is stored as a digest and must never be a signing key.
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      introspectionSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      authorizationSigningAlgValues: ['RS256'],
    },
    extraClientMetadata: {
      properties: [FIRST_PARTY],
      validator(ctx, key, value, metadata) {
        if (key !== FIRST_PARTY) return;
        if (value !== undefined && typeof value !== 'boolean') throw new engineErrors.InvalidClientMetadata(`${FIRST_PARTY} must be a boolean`);
        // Open registration (RFC 7591) is for clients nobody vouched for: never first-party (they
        // would skip consent), and public only — a secret the engine made would be stored as
        // given, where ours are digests (docs/oauth-server.md).
        if ((ctx as { oidc?: { route?: string } } | undefined)?.oidc?.route === 'registration') {
          if (value === true) throw new engineErrors.InvalidClientMetadata(`${FIRST_PARTY} is set by an administrator only`);
          if (metadata.token_endpoint_auth_method !== 'none') {
            throw new engineErrors.InvalidClientMetadata('open registration registers public clients only (token_endpoint_auth_method "none")');
          }
        }
        // OAuth 2.1 §4.2: client credentials are for confidential clients; a public one would get
        // tokens for its client_id alone.
        if (metadata.token_endpoint_auth_method === 'none' && (metadata.grant_types ?? []).includes('client_credentials')) {
          throw new engineErrors.InvalidClientMetadata('a public client (token_endpoint_auth_method none) cannot use client_credentials');
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Our pages for entering and confirming the user code (RFC 8628 §3.3), in place of the engine's.
      deviceFlow: {
        enabled: true,
        ...devicePages({
          accountPage: deps.accountPage,
          signedIn: (ctx) => (ctx.req as EngineRequest)[kSignedInUser] != null,
          givenCode: (ctx) => (ctx.req as EngineRequest)[kGivenUserCode],
        }),
      },
      introspection: {
        enabled: true,
        // RFC 7662 §2.1: the caller is authorized; a public client could probe others' tokens.
        allowedPolicy: async (_ctx, client) => client.clientAuthMethod !== 'none',
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // Registered clients get ids of the same form as the administrator's (clients.ts).
      registration: { enabled: settings.dynamicRegistration, idFactory: () => newClientId() },
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: {
        enabled: true,
        // A request that names no resource gets an opaque access token for userinfo (RFC 8707 §2).
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined!,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!settings.resources.includes(resource)) throw new engineErrors.InvalidTarget();
          return {
            scope: settings.scopes.filter((scope) => scope !== 'openid' && scope !== 'offline_access').join(' '),
            audience: resource,
            accessTokenTTL: settings.accessTokenLifetime,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Every use rotates; a consumed token presented again revokes the whole grant (RFC 9700 §4.14.2).
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: settings.accessTokenLifetime,
      ClientCredentials: settings.accessTokenLifetime,
      AuthorizationCode: AUTHORIZATION_CODE_LIFETIME,
      IdToken: settings.accessTokenLifetime,
      DeviceCode: DEVICE_CODE_LIFETIME,
      Interaction: INTERACTION_LIFETIME,
      Grant: settings.refreshTokenLifetime,
      Session: settings.refreshTokenLifetime,
      // Absolute: counted from the grant's first refresh token, rotation does not extend it.
      RefreshToken: (_ctx, token) => {
        const now = Math.floor(Date.now() / 1000);
        const start = (token as { iiat?: number }).iiat ?? now;
        return Math.max(1, start + settings.refreshTokenLifetime - now);
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${deps.basePath}/interaction/${interaction.uid}`,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      // Written by the engine, past our Fastify hooks: our page policy is set here.
      ctx.set('content-security-policy', pagePolicy());
      ctx.body = errorPage(String(out.error), typeof out.error_description === 'string' ? out.error_description : '');
    },
    // Browser clients on other origins call the token, userinfo and revocation endpoints (CORS is
    // the engine's there); the authorization endpoint is a navigation and needs none.
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => {
        try {
          return new URL(uri).origin === origin;
        } catch {
          return false;
        }
      }),
  };

  const provider = new Provider(settings.issuer, configuration);
  // oidc-provider 8 saves the session a failed request touched, and throws (a 500) when that
  // session was never stored (a stale resume link, a bare POST to the device page): such a
  // session holds nothing worth keeping, so it is left unsaved and the request's own error stands.
  const sessionModel = provider.Session.prototype as unknown as { exp?: number; persist(): Promise<unknown> };
  const persist = sessionModel.persist;
  sessionModel.persist = function persistStored(this: { exp?: number }) {
    return typeof this.exp === 'number' ? persist.call(this) : Promise.resolve(undefined);
  };
  // A client's secret is stored as its SHA-256 digest (docs/oauth-server.md): the presented one is
  // digested before the constant-time comparison. A secret is 32 random bytes, so a fast hash
  // suffices (OWASP Password Storage CS is about low-entropy passwords).
  const clientModel = provider.Client as unknown as { prototype: { clientSecret?: string; compareClientSecret(actual: string): boolean } };
  clientModel.prototype.compareClientSecret = function compareClientSecret(actual: string) {
    const stored = Buffer.from(this.clientSecret ?? '');
    const presented = Buffer.from(clientSecretDigest(String(actual)));
    return stored.length === presented.length && timingSafeEqual(stored, presented);
  };
  // The host names in every URL the engine builds come from PUBLIC_URL, through the headers the
  // mount sets (http/… never trusts the request's Host header for links).
  provider.proxy = true;
  return provider;
}
