import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import * as oidc from 'openid-client';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import type { OAuthAccounts } from './oauth-accounts.js';
import { safeNextPath } from '../../core/safe-redirect.js';
import type { Throttle } from '../../core/throttle.js';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import type { User } from '../../core/user.js';
import { requireRecentAuthentication } from '../../http/recent-authentication.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import { constantTimeEqual, sessionIdOf } from '../../core/token.js';
import { answerSignIn, clientInfoOf } from '../../http/sign-in-answer.js';
import type { ProviderClient } from './provider-client.js';
import { openFlowState, sealFlowState, STATE_COOKIE_NAME, STATE_LIFETIME_SECONDS, type FlowState } from './state-cookie.js';
import { ErrorBody } from '../../http/schemas.js';
import { AuthorizeQuery, CallbackQuery, LinkStart, OAuthProviderList, ProviderParams } from './schemas.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { firstPartySession } from '../../http/guard.js';

export interface OAuthRoutesOptions {
  service: AuthService;
  /** The one sign-in pipeline: throttles, second factor, `amr`, the session. */
  signIn: SignInPipeline;
  accounts: OAuthAccounts;
  throttle: Throttle;
  /** The guard of authenticated routes (bearer or cookie; the CSRF rule applies with the cookie). */
  authenticate: preHandlerAsyncHookHandler;
  /** Recent authentication, asked before a link is started (docs/security.md). */
  recent: RecentAuthentication;
  /** Mails the user about an identity just linked to their account. */
  credentialAdded: (user: User, credential: AddedCredential) => void;
  /** Configured providers by name. */
  clients: ReadonlyMap<string, ProviderClient>;
  /** `publicUrl` + the routes' prefix: the base of redirect URIs, and of `next`. */
  baseURL: string;
  /**
   * The prefix of the plugin's routes ('' by default), for the state cookie's path and the
   * providers' start links (not named `prefix`: Fastify would prefix these routes once more).
   */
  routePrefix: string;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
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
 * `GET /oauth/{provider}/authorize`, `POST /oauth/{provider}/link` and
 * `GET /oauth/{provider}/callback`.
 */
export const oauthRoutes: FastifyPluginAsyncTypebox<OAuthRoutesOptions> = async (app, options) => {
  const { service, signIn, accounts, throttle, authenticate, recent, credentialAdded, clients, baseURL, audit } = options;
  const auth = service.options;
  const keys = [auth.secretKey, ...auth.secretKeyFallbacks];
  const cookiePath = `${options.routePrefix}/oauth/`;
  const redirectURI = (name: string) => `${baseURL}/oauth/${name}/callback`;

  /** The client of a configured provider by its name; `OAUTH_UNKNOWN_PROVIDER` otherwise. */
  const providerClient = (name: string): ProviderClient => {
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

  app.get(
    '/oauth/providers',
    {
      schema: {
        tags: TAG,
        operationId: 'listOAuthProviders',
        summary: 'List the identity providers one can sign in with',
        security: PUBLIC,
        response: { 200: OAuthProviderList },
      },
    },
    async () => [...clients.keys()].map((name) => ({ name, authorize_url: `${options.routePrefix}/oauth/${name}/authorize` })),
  );

  /**
   * Starts a flow: fresh state, nonce and PKCE verifier, sealed in the state cookie with `next`
   * and the session it belongs to; returns the provider's authorization URL. `link` is true only
   * for `POST /oauth/{provider}/link`.
   */
  const startFlow = async (reply: FastifyReply, client: ProviderClient, start: { next: unknown; session: string | null; link: boolean }): Promise<URL> => {
    const flow: FlowState = {
      provider: client.provider.name,
      // 256 bits each from the CSPRNG (RFC 6749 §10.10 asks for at least 128).
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      next: safeNextPath(start.next, baseURL),
      session: start.session,
      link: start.link,
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
    return url;
  };

  app.get(
    '/oauth/:provider/authorize',
    {
      schema: {
        tags: TAG,
        operationId: 'oauthAuthorize',
        summary: 'Start signing in with a provider: redirects to it (never links, even when signed in)',
        security: PUBLIC,
        params: ProviderParams,
        querystring: AuthorizeQuery,
        response: { 302: { description: "To the provider's authorization endpoint", type: 'null' }, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      try {
        const client = providerClient(request.params.provider);
        // A navigation is always a sign-in: anyone can send a signed-in browser here (a link on
        // another site), so it must never add a way into the current account (RFC 9700 §4.4,
        // OWASP CSRF CS). Linking is `POST …/link`, which the CSRF rule and recent authentication
        // guard. The flow still belongs to the current session, if any: it must end in it.
        await throttle.consume(throttle.oauthAuthorizeKeys(request.ip));
        const current = await cookieSession(request);
        const url = await startFlow(reply, client, { next: request.query.next, session: current?.id ?? null, link: false });
        return reply.redirect(url.href, 302);
      } catch (error) {
        return fail(request, reply, error);
      }
    },
  );

  app.post(
    '/oauth/:provider/link',
    {
      preValidation: authenticate,
      // A link adds a way into the account: a recently authenticated session only (docs/security.md,
      // "Recent authentication"), so a session taken from a browser cannot plant one.
      preHandler: requireRecentAuthentication(recent),
      schema: {
        tags: TAG,
        operationId: 'oauthLink',
        summary: 'Start linking a provider account to mine: answers the URL the page navigates to',
        description:
          "Needs the CSRF header with the auth cookie (as every unsafe request), and a recently authenticated session (POST /users/me/reauthenticate), or `current_password` in a JSON body. The flow is bound to this session; the provider's redirect back must reach the browser holding its cookie. The user is mailed about the new link.",
        security: SECURITY,
        params: ProviderParams,
        querystring: AuthorizeQuery,
        response: { 200: LinkStart, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const client = providerClient(request.params.provider);
      const session = sessionIdOf(firstPartySession(request).digest);
      const url = await startFlow(reply, client, { next: request.query.next, session, link: true });
      return { authorization_url: url.href };
    },
  );

  app.get(
    '/oauth/:provider/callback',
    {
      schema: {
        tags: TAG,
        operationId: 'oauthCallback',
        summary: "The provider's redirect back: checks the flow, signs in or links, redirects to `next`",
        security: PUBLIC,
        params: ProviderParams,
        querystring: CallbackQuery,
        response: {
          302: { description: 'Signed in (or linked): to `next`', type: 'null' },
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      // Single use: whatever happens next, this browser's flow is over.
      reply.clearCookie(STATE_COOKIE_NAME, { path: cookiePath, httpOnly: true, secure: auth.cookieSecure, sameSite: 'lax' });
      try {
        const client = providerClient(request.params.provider);
        let next: string | undefined;
        const result = await signIn.signIn(
          {
            method: 'provider',
            // Charged before the flow is looked at, its state claimed or the code exchanged.
            keys: throttle.oauthCallbackKeys(request.ip),
            failure: 'OAUTH_CALLBACK_FAILED',
            prove: async (chargeMore) => {
              const flow = openFlowState(request.cookies?.[STATE_COOKIE_NAME], keys, auth.now().getTime());
              const state = request.query.state;
              if (!flow || flow.provider !== client.provider.name || typeof state !== 'string' || !constantTimeEqual(state, flow.state)) {
                throw new AuthError('OAUTH_STATE_INVALID');
              }
              // The flow must end in the session it started in: a link is made only for the session that asked.
              const current = await cookieSession(request);
              if ((current?.id ?? null) !== flow.session) throw new AuthError('OAUTH_STATE_INVALID');
              // Rule 1 (link to the current user) only for a flow the session started with `POST …/link`.
              const linkTo = flow.link === true && current ? current.session.user : null;
              // Single use across instances too (a copied cookie cannot be replayed): the first use of a
              // state claims it in the shared counters for as long as the flow could live.
              if (!(await throttle.claimOnce('oauth-state', flow.state, STATE_LIFETIME_SECONDS))) throw new AuthError('OAUTH_STATE_INVALID');
              next = flow.next;

              const callbackURL = new URL(redirectURI(client.provider.name));
              callbackURL.search = new URLSearchParams(request.query as Record<string, string>).toString();
              const identity = await client.identity(callbackURL, flow);
              await chargeMore(throttle.providerIdentityKeys(identity.provider, identity.subject));
              // Creating a user counts as a registration from this address.
              const outcome = await accounts.resolve(identity, linkTo, () => throttle.consume(throttle.registrationKeys(request.ip)));
              // A new way into an existing account (a link, or rule 3's link by email): the user hears of it.
              if (outcome.added) credentialAdded(outcome.user, { kind: 'provider', provider: client.provider.name });
              // Recorded now: the link or the account exists even if a second factor is still due.
              const who = { actorUserId: outcome.user.id, subjectUserId: outcome.user.id };
              if (outcome.added) await auditEvent(audit, request, 'provider.linked', { provider: client.provider.name }, who);
              if (outcome.kind === 'sign-in' && outcome.created) {
                await auditEvent(audit, request, 'user.registered', { method: 'provider' }, who);
                await auditEvent(audit, request, 'provider.linked', { provider: client.provider.name }, who);
              }
              // The provider stands for the first factor only: a user with TOTP still gives a code.
              return { user: outcome.user, amr: ['fed'], secondFactor: { otp: undefined }, ...(outcome.kind === 'linked' ? { keepSession: true } : {}) };
            },
          },
          clientInfoOf(request),
        );
        if (answerSignIn(request, reply, auth, result, 'cookie') === 'second-factor-required') {
          // The page's one-time-code step (docs/two-factor.md) finishes the sign-in.
          return reply.redirect(`${options.failurePage ?? '/'}#/otp`, 302);
        }
        return reply.redirect(safeNextPath(next, baseURL), 302);
      } catch (error) {
        return fail(request, reply, error);
      }
    },
  );
};
