import type { FastifyBaseLogger } from 'fastify';
import * as oidc from 'openid-client';
import { AuthError } from '../../core/errors.js';
import type { ProviderIdentity } from './oauth-accounts.js';
import type { ResolvedOAuthProvider } from './oauth-providers.js';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../store/unavailable.js';

/** Seconds before a failed discovery is tried again; requests meanwhile get a 503 at once. */
export const DISCOVERY_RETRY_SECONDS = 10;
/** Seconds any request to a provider may take (openid-client's `timeout`). */
const PROVIDER_TIMEOUT_SECONDS = 10;
/** Seconds an ID token's `iat` may be ahead of our clock (openid-client's own tolerance for `exp` and `nbf`). */
const ID_TOKEN_CLOCK_SKEW_SECONDS = 30;

/** The per-flow secrets the callback checks the provider's answer against. */
export interface FlowChecks {
  state: string;
  nonce: string;
  /** PKCE `code_verifier` (RFC 7636). */
  verifier: string;
}

/**
 * One configured provider, spoken to through `openid-client` (a certified OpenID Connect relying
 * party): no protocol code of our own. The discovery document is fetched once and kept; when the
 * issuer cannot be reached the provider's routes answer 503 and discovery is retried on a later
 * request, so a provider that is down at start neither stops the service nor stays broken.
 */
export class ProviderClient {
  readonly provider: ResolvedOAuthProvider;
  private readonly now: () => Date;
  private readonly log: FastifyBaseLogger;
  private config: Promise<oidc.Configuration> | undefined;
  private failedAt = 0;

  constructor(provider: ResolvedOAuthProvider, options: { now: () => Date; log: FastifyBaseLogger }) {
    this.provider = provider;
    this.now = options.now;
    this.log = options.log;
  }

  /** Starts discovery in the background (at start); a failure is a warning, not a crash. */
  warmUp(): void {
    this.configuration().catch(() => {});
  }

  /** The client configuration; `OAUTH_PROVIDER_UNAVAILABLE` (503) while the issuer cannot be reached. */
  async configuration(): Promise<oidc.Configuration> {
    if (this.config === undefined) {
      const since = (this.now().getTime() - this.failedAt) / 1000;
      if (since < DISCOVERY_RETRY_SECONDS) throw unavailable(DISCOVERY_RETRY_SECONDS - since);
      this.config = this.configure().catch((error: unknown) => {
        this.config = undefined;
        this.failedAt = this.now().getTime();
        this.log.warn({ provider: this.provider.name, err: describe(error) }, 'identity provider unreachable; its routes answer 503 until it returns');
        throw unavailable(DISCOVERY_RETRY_SECONDS);
      });
    }
    return this.config;
  }

  /** The authorization URL (RFC 6749 §4.1.1) with state, nonce (OpenID Connect) and PKCE S256 (RFC 7636). */
  async authorizationURL(redirectUri: string, checks: FlowChecks): Promise<URL> {
    const config = await this.configuration();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: this.provider.scopes.join(' '),
      state: checks.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
    };
    if (this.provider.kind === 'oidc') parameters.nonce = checks.nonce;
    return oidc.buildAuthorizationUrl(config, parameters);
  }

  /**
   * Checks the provider's answer and exchanges the code (with the PKCE verifier) for the identity.
   * For OpenID Connect, openid-client verifies the ID token's `iss`, `aud`, `exp`, `nonce` and —
   * because `enableNonRepudiationChecks` is on — its signature against the issuer's JWKS, even
   * though it came straight from the token endpoint over TLS (OpenID Connect Core §3.1.3.7 makes
   * that check optional; we do not rely on the channel alone). Any failure is
   * `OAUTH_CALLBACK_FAILED`; an unreachable provider is `OAUTH_PROVIDER_UNAVAILABLE`.
   */
  async identity(callbackURL: URL, checks: FlowChecks): Promise<ProviderIdentity> {
    const config = await this.configuration();
    try {
      if (this.provider.kind === 'github') return await this.gitHubIdentity(config, callbackURL, checks);
      const tokens = await oidc.authorizationCodeGrant(config, callbackURL, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      this.checkIssuance(claims);
      let { email, email_verified: verified } = claims;
      if (typeof email !== 'string' || email === '') {
        // Some issuers release the email only at the UserInfo endpoint (OpenID Connect Core §5.4).
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        ({ email, email_verified: verified } = info);
      }
      if (typeof email !== 'string' || email === '') throw new Error('the provider gave no email');
      return { provider: this.provider.name, subject: claims.sub, email, emailVerified: verified === true };
    } catch (error) {
      throw this.failure(error);
    }
  }

  /**
   * Two ID token checks openid-client leaves to the relying party. `azp`: it is compared only
   * when `aud` lists several audiences, but OpenID Connect Core §3.1.3.7 (step 5) says a present
   * `azp` must be our client id — a token issued to another client (which merely lists us as an
   * audience) is not a sign-in at ours. `iat` in the future: a token stamped ahead of time was
   * minted by a clock we cannot trust (or to outlive its `exp` window), so it is refused beyond
   * the same small skew openid-client allows for `exp` and `nbf` (RFC 7519 §4.1.6), measured on
   * the same clock those checks use.
   */
  private checkIssuance(claims: oidc.IDToken): void {
    if (claims.azp !== undefined && claims.azp !== this.provider.clientId) throw new Error('the ID token was issued to another client (azp)');
    if (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + ID_TOKEN_CLOCK_SKEW_SECONDS) {
      throw new Error('the ID token was issued in the future (iat)');
    }
  }

  /**
   * GitHub is OAuth 2.0 only (no ID token): the identity comes from its REST API with the access
   * token — the numeric user id (stable, unlike the login) and the primary email, only if GitHub
   * marks it verified (docs/oauth.md).
   */
  private async gitHubIdentity(config: oidc.Configuration, callbackURL: URL, checks: FlowChecks): Promise<ProviderIdentity> {
    if (this.provider.kind !== 'github') throw new Error('not GitHub');
    const tokens = await oidc.authorizationCodeGrant(config, callbackURL, { pkceCodeVerifier: checks.verifier, expectedState: checks.state });
    const api = this.provider.endpoints.api;
    const get = async (path: string): Promise<unknown> => {
      const url = new URL(`${api.pathname.replace(/\/$/, '')}${path}`, api);
      const response = await oidc.fetchProtectedResource(config, tokens.access_token, url, 'GET', null, new Headers({ accept: 'application/vnd.github+json' }));
      if (!response.ok) throw new Error(`GitHub API ${path} answered ${response.status}`);
      return response.json();
    };
    const user = (await get('/user')) as { id?: unknown };
    const emails = (await get('/user/emails')) as { email?: unknown; primary?: unknown; verified?: unknown }[];
    if (typeof user.id !== 'number' || !Number.isSafeInteger(user.id)) throw new Error('GitHub gave no user id');
    const primary = Array.isArray(emails) ? emails.find((e) => e.primary === true && e.verified === true && typeof e.email === 'string') : undefined;
    if (!primary) throw new Error('the GitHub account has no verified primary email');
    return { provider: this.provider.name, subject: String(user.id), email: primary.email as string, emailVerified: true };
  }

  private async configure(): Promise<oidc.Configuration> {
    const { provider } = this;
    const insecure = (url: URL) => url.protocol === 'http:'; // loopback only, checked at start
    if (provider.kind === 'github') {
      const config = new oidc.Configuration(
        {
          issuer: provider.endpoints.authorization.origin,
          authorization_endpoint: provider.endpoints.authorization.href,
          token_endpoint: provider.endpoints.token.href,
        },
        provider.clientId,
        undefined,
        oidc.ClientSecretPost(provider.clientSecret),
      );
      config.timeout = PROVIDER_TIMEOUT_SECONDS;
      if (Object.values(provider.endpoints).some(insecure)) oidc.allowInsecureRequests(config);
      return config;
    }
    const execute = insecure(provider.issuer) ? [oidc.allowInsecureRequests] : [];
    const discovered = await oidc.discovery(provider.issuer, provider.clientId, provider.clientSecret, undefined, {
      execute,
      timeout: PROVIDER_TIMEOUT_SECONDS,
    });
    // The client authenticates as the issuer says it can: `client_secret_post` when listed, else
    // `client_secret_basic`, the default when the list is absent (OpenID Connect Discovery §3).
    const server = discovered.serverMetadata();
    const config = server.token_endpoint_auth_methods_supported?.includes('client_secret_post')
      ? discovered
      : new oidc.Configuration(server, provider.clientId, undefined, oidc.ClientSecretBasic(provider.clientSecret));
    for (const option of execute) option(config);
    config.timeout = PROVIDER_TIMEOUT_SECONDS;
    oidc.enableNonRepudiationChecks(config);
    return config;
  }

  /** Classifies a failure of the exchange: the provider away (503) or the answer refused (400). */
  private failure(error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    if (isNetworkError(error)) {
      this.log.warn({ provider: this.provider.name, err: describe(error) }, 'identity provider unreachable during a callback');
      return unavailable(UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
    // The reason (never a token: openid-client's messages name the check that failed) helps an operator.
    this.log.info({ provider: this.provider.name, err: describe(error) }, 'identity provider callback refused');
    return new AuthError('OAUTH_CALLBACK_FAILED');
  }
}

function unavailable(retryAfter: number): AuthError {
  return new AuthError('OAUTH_PROVIDER_UNAVAILABLE', undefined, { retryAfter });
}

/** `fetch` failing to connect, or openid-client's timeout. */
function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error instanceof TypeError && error.message === 'fetch failed') || error.name === 'TimeoutError' || error.name === 'AbortError';
}

/** What is logged of an error: its class, code and message — not the response body or the stack. */
function describe(error: unknown): { type: string; code?: unknown; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  return { type: error.name, code: (error as { code?: unknown }).code, message: error.message };
}
