import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { AuthService } from '../../core/auth-service.js';
import type { CredentialResolvers } from '../../core/credentials.js';
import type { Store } from '../../core/store.js';
import { registerProtectedResource } from '../resource-server/metadata.js';
import { providerTokenResolver } from '../resource-server/provider-tokens.js';
import { createEngine, ENGINE_PATH } from './engine.js';
import { memoryClients, type OAuthClients } from './clients.js';
import { interactionRoutes } from './interactions.js';
import { memoryAdapter } from './memory-adapter.js';
import { mountEngine } from './mount.js';
import type { ResolvedOAuthServer } from './options.js';

/** What the provider needs of the kernel. */
export interface OAuthServerDependencies {
  settings: ResolvedOAuthServer;
  service: AuthService;
  store: Store;
  credentials: CredentialResolvers;
  /** `SECRET_KEY` then its fallbacks. */
  secretKeys: readonly string[];
  authCookieName: string;
  /** The plugin's route prefix ('' by default): the engine lives under `<prefix>/oauth2`. */
  routePrefix: string;
  /** The web page's address for signing in (a path on this origin), `/` by default. */
  loginPage: string;
}

/** The provider, built once: the engine, and how to list the clients it knows (admin API). */
export interface OAuthServer {
  engine: Provider;
  settings: ResolvedOAuthServer;
  /** Where clients are registered (admin API, CLI). */
  clients: OAuthClients;
  basePath: string;
}

/** A signing key made at start and kept in memory: tokens signed before a restart no longer verify. */
async function ephemeralSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/**
 * This service as an OAuth 2.1 / OpenID Connect provider (docs/oauth-server.md): the engine
 * mounted under `<prefix>/oauth2`, the discovery documents at the root, the sign-in and consent
 * interactions, this server as one of its resources (RFC 9728 metadata, and the provider's JWT
 * access tokens admitted by `app.authenticate`).
 */
export async function setUpOAuthServer(app: FastifyInstance, deps: OAuthServerDependencies): Promise<OAuthServer> {
  const { settings, store, service } = deps;
  const basePath = `${deps.routePrefix}${ENGINE_PATH}`;
  const memory = settings.adapter ? undefined : memoryAdapter();
  const signingKeys = [await ephemeralSigningKey()];
  const engine = createEngine({
    settings,
    secretKeys: deps.secretKeys,
    signingKeys,
    findUser: (id) => store.findUserById(id),
    adapter: settings.adapter ?? memory!.Adapter,
    basePath,
  });
  // The engine's own reports of refused requests are answers to clients, not faults of ours.
  engine.on('server_error', (_ctx, err) => app.log.error({ err }, 'oauth server error'));

  const signedInUser = async (request: FastifyRequest): Promise<number | null> => {
    const cookie = request.cookies?.[deps.authCookieName];
    if (!cookie) return null;
    const session = await service.resolveToken(cookie);
    return session?.user.isActive ? session.user.id : null;
  };
  await app.register(interactionRoutes, {
    engine,
    store,
    service,
    authCookieName: deps.authCookieName,
    issuer: settings.issuer,
    basePath,
    loginPage: deps.loginPage,
    secretKey: deps.secretKeys[0]!,
  });
  await mountEngine(app, { engine, issuer: settings.issuer, basePath, signedInUser });

  // This server is one of the provider's resources when PUBLIC_URL is among OAUTH_SERVER_RESOURCES.
  if (settings.resources.includes(settings.issuer)) {
    registerProtectedResource(app, {
      resource: settings.issuer,
      issuer: settings.issuer,
      scopes: settings.scopes.filter((scope) => scope !== 'openid' && scope !== 'offline_access'),
    });
    deps.credentials.register(
      providerTokenResolver({
        issuer: settings.issuer,
        audience: settings.issuer,
        publicKeys: async () => signingKeys,
        findUser: (id) => store.findUserById(id),
        // A deleted client's tokens die with it.
        grantActive: async (_userId, clientId) => (await engine.Client.find(clientId)) !== undefined,
        now: service.options.now,
      }),
    );
  }
  return {
    engine,
    settings,
    basePath,
    clients: settings.clients ?? memoryClients(memory!, service.options.now),
  };
}
