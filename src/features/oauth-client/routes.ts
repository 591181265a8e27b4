import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import type { OAuthAccounts } from './oauth-accounts.js';
import { safeNextPath } from '../../core/safe-redirect.js';
import { counterKeyDigest, type Throttle } from '../../core/throttle.js';
import type { SecondFactor } from '../../core/second-factor.js';
import { constantTimeEqual, sessionIdOf } from '../../core/token.js';
import { completeSignIn } from './complete-sign-in.js';
import type { ProviderClient } from './provider-client.js';
import { openFlowState, sealFlowState, STATE_COOKIE_NAME, STATE_LIFETIME_SECONDS, type FlowState } from './state-cookie.js';
import { ErrorBody } from '../../http/schemas.js';
import { AuthorizeQuery, CallbackQuery, OAuthProviderList, ProviderParams } from './schemas.js';

export interface OAuthRoutesOptions {
  service: AuthService;
  secondFactor: SecondFactor;
  accounts: OAuthAccounts;
  throttle: Throttle;
  /** Configured providers by name. */
  clients: ReadonlyMap<string, ProviderClient>;
  /** `publicUrl` + the routes' prefix: the base of redirect URIs, and of `next`. */
  baseURL: string;
  /**
   * The prefix of the plugin's routes ('' by default), for the state cookie's path and the
   * providers' start links (not named `prefix`: Fastify would prefix these routes once more).
   */
  routePrefix: string;
  /**
   * The web page: a browser is sent there with `#oauth_error=<CODE>` when a flow fails (default
   * none: JSON errors), and with `#/otp` when the user must still give a one-time code (default `/`).
   */
  failurePage?: string;
}

const TAG = ['oauth'];
const PUBLIC: [] = [];

/**
 * Signing in with another identity provider (docs/oauth.md): `GET /oauth/providers`,
 * `GET /oauth/{provider}/authorize` and `GET /oauth/{provider}/callback`.
 */
export const oauthRoutes: FastifyPluginAsyncTypebox<OAuthRoutesOptions> = async (app, options) => {
  const { service, secondFactor, accounts, throttle, clients, baseURL } = options;
  const auth = service.options;
  const keys = [auth.secretKey, ...auth.secretKeyFallbacks];
  const cookiePath = `${options.routePrefix}/oauth/`;
  const redirectURI = (name: string) => `${baseURL}/oauth/${name}/callback`;

  const clientOf = (name: string): ProviderClient => {
    const client = clients.get(name);
    if (!client) throw new AuthError('OAUTH_UNKNOWN_PROVIDER');
    return client;
  };

  /** The public id of the session in the auth cookie (a browser flow), or `null`. */
  const cookieSession = async (request: FastifyRequest) => {
    const token = request.cookies?.[auth.authCookieName];
    const session = token ? await service.resolveToken(token) : null;
    return session ? { session, id: sessionIdOf(session.digest) } : null;
  };

  /** Browser navigations land on the page with the code; API clients get the JSON error. */
  const fail = (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply => {
    if (options.failurePage !== undefined && error instanceof AuthError && request.headers['sec-fetch-mode'] === 'navigate') {
      return reply.redirect(`${options.failurePage}#oauth_error=${error.code}`, 302);
    }
    throw error;
  };

  app.get('/oauth/providers', {
    schema: { tags: TAG, operationId: 'listOAuthProviders', summary: 'List the identity providers one can sign in with', security: PUBLIC, response: { 200: OAuthProviderList } },
  }, async () => [...clients.keys()].map((name) => ({ name, authorize_url: `${options.routePrefix}/oauth/${name}/authorize` })));

  app.get('/oauth/:provider/authorize', {
    schema: {
      tags: TAG,
      operationId: 'oauthAuthorize',
      summary: 'Start signing in (or linking, when signed in) with a provider: redirects to it',
      security: PUBLIC,
      params: ProviderParams,
      querystring: AuthorizeQuery,
      response: { 302: { description: 'To the provider\'s authorization endpoint', type: 'null' }, 404: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    try {
      const client = clientOf(request.params.provider);
      const current = await cookieSession(request);
      const flow: FlowState = {
        provider: client.provider.name,
        // 256 bits each from the CSPRNG (RFC 6749 §10.10 asks for at least 128).
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        next: safeNextPath(request.query.next, baseURL),
        session: current?.id ?? null,
        expiresAt: auth.now().getTime() + STATE_LIFETIME_SECONDS * 1000,
      };
      const url = await client.authorizationURL(redirectURI(client.provider.name), flow);
      reply.setCookie(STATE_COOKIE_NAME, sealFlowState(flow, auth.secretKey), {
        path: cookiePath,
        httpOnly: true,
        secure: auth.cookieSecure,
        // Lax: sent on the provider's top-level redirect back to us, not on cross-site subrequests.
        sameSite: 'lax',
        maxAge: STATE_LIFETIME_SECONDS,
      });
      return reply.redirect(url.href, 302);
    } catch (error) {
      return fail(request, reply, error);
    }
  });

  app.get('/oauth/:provider/callback', {
    schema: {
      tags: TAG,
      operationId: 'oauthCallback',
      summary: 'The provider\'s redirect back: checks the flow, signs in or links, redirects to `next`',
      security: PUBLIC,
      params: ProviderParams,
      querystring: CallbackQuery,
      response: { 302: { description: 'Signed in (or linked): to `next`', type: 'null' }, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody },
    },
  }, async (request, reply) => {
    // Single use: whatever happens next, this browser's flow is over.
    reply.clearCookie(STATE_COOKIE_NAME, { path: cookiePath, httpOnly: true, secure: auth.cookieSecure, sameSite: 'lax' });
    try {
      const client = clientOf(request.params.provider);
      const flow = openFlowState(request.cookies?.[STATE_COOKIE_NAME], keys, auth.now().getTime());
      const state = request.query.state;
      if (!flow || flow.provider !== client.provider.name || typeof state !== 'string' || !constantTimeEqual(state, flow.state)) {
        throw new AuthError('OAUTH_STATE_INVALID');
      }
      // The flow must end in the session it started in: a link is made only for the session that asked.
      const current = await cookieSession(request);
      if ((current?.id ?? null) !== flow.session) throw new AuthError('OAUTH_STATE_INVALID');
      // Single use across instances too (a copied cookie cannot be replayed): the first use of a
      // state claims it in the shared counters for as long as the flow could live.
      const claim = await throttle.counters.increment(`oauth-state:${counterKeyDigest(flow.state)}`, STATE_LIFETIME_SECONDS);
      if (claim.count > 1) throw new AuthError('OAUTH_STATE_INVALID');

      const callbackURL = new URL(redirectURI(client.provider.name));
      callbackURL.search = new URLSearchParams(request.query as Record<string, string>).toString();
      const identity = await client.identity(callbackURL, flow);
      // The login throttle counts this sign-in for the email; creating a user counts as a registration.
      const outcome = await throttle.guard(throttle.loginKeys(identity.email, request.ip), () =>
        accounts.resolve(identity, current?.session.user ?? null, () => throttle.consume(throttle.registrationKeys(request.ip))));
      if (outcome?.kind === 'sign-in' && (await completeSignIn(request, reply, { service, secondFactor }, outcome.user)) === 'otp-required') {
        // The page's one-time-code step (docs/two-factor.md) finishes the sign-in.
        return reply.redirect(`${options.failurePage ?? '/'}#/otp`, 302);
      }
      return reply.redirect(safeNextPath(flow.next, baseURL), 302);
    } catch (error) {
      return fail(request, reply, error);
    }
  });
};

