import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { AuditLog } from '../../core/audit.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { Throttle } from '../../core/throttle.js';
import type { User } from '../../core/user.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import { linkedAccountRoutes } from './linked-accounts-routes.js';
import { OAuthAccounts } from './oauth-accounts.js';
import type { ResolvedOAuthProvider } from './oauth-providers.js';
import { ProviderClient } from './provider-client.js';
import { oauthRoutes } from './routes.js';

/** What signing in with other identity providers needs of the kernel. */
export interface OAuthClientFeatureOptions {
  service: AuthService;
  signIn: SignInPipeline;
  throttle: Throttle;
  authenticate: preHandlerAsyncHookHandler;
  /** Recent authentication, asked before a link is started (docs/security.md). */
  recent: RecentAuthentication;
  /** Mails the user about an identity just linked to their account. */
  credentialAdded: (user: User, credential: AddedCredential) => void;
  providers: readonly ResolvedOAuthProvider[];
  /** `publicUrl` + the routes' prefix: the base of redirect URIs, and of `next`. */
  baseURL: string;
  /** The prefix of the plugin's routes ('' by default), for the state cookie's path and the providers' start links. */
  routePrefix: string;
  /** The plugin's `oauthFailurePage`, already checked to be a same-origin path. */
  failurePage: string | undefined;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

/**
 * Signing in with other identity providers (docs/oauth.md), as one sub-plugin: the provider
 * clients, the sign-in flow's routes and the linked-accounts routes.
 */
export const oauthClientFeature: FastifyPluginAsync<OAuthClientFeatureOptions> = async (app, options) => {
  const { service, signIn, throttle, authenticate, recent, credentialAdded, providers, baseURL, routePrefix, failurePage, audit } = options;
  const accounts = new OAuthAccounts(service);
  const clients = new Map(providers.map((provider) => [provider.name, new ProviderClient(provider, { now: service.options.now, log: app.log })]));
  // Discovery starts now, in the background: an issuer that is down is a warning and a 503 on its routes.
  app.addHook('onReady', async () => {
    for (const client of clients.values()) client.warmUp();
  });
  await app.register(oauthRoutes, {
    service,
    signIn,
    accounts,
    throttle,
    authenticate,
    recent,
    credentialAdded,
    clients,
    baseURL,
    routePrefix,
    failurePage,
    audit,
  });
  await app.register(linkedAccountRoutes, { accounts, authenticate, audit });
};
