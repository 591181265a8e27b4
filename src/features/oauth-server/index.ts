import type { FastifyInstance, FastifyRequest } from 'fastify';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../../core/audit.js';
import type { AuthService } from '../../core/auth-service.js';
import type { CredentialResolvers } from '../../core/credentials.js';
import type { SessionCache, SessionChange } from '../../core/session-cache.js';
import type { Store } from '../../core/store.js';
import type { Throttle } from '../../core/throttle.js';
import { registerProtectedResource } from '../resource-server/metadata.js';
import { providerTokenResolver } from '../resource-server/provider-tokens.js';
import { createEngine, ENGINE_PATH } from './engine.js';
import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../../store/sql/schema.js';
import { OAuthClientStore } from './client-store.js';
import { memoryClients, type OAuthClients } from './clients.js';
import { loadSigningKeys } from './signing-keys.js';
import { createSQLAdapterFactory } from './sql-adapter.js';
import type { UserGrants } from './grant-routes.js';
import { interactionRoutes } from './interactions.js';
import { memoryAdapter } from './memory-adapter.js';
import { mountEngine, ReadyDocuments, serveReadyDocuments } from './mount.js';
import type { OAuthServerAdapter, ResolvedOAuthServer } from './options.js';

/** What the provider needs of the kernel. */
export interface OAuthServerDependencies {
  settings: ResolvedOAuthServer;
  service: AuthService;
  store: Store;
  credentials: CredentialResolvers;
  throttle: Throttle;
  /** `SECRET_KEY` then its fallbacks. */
  secretKeys: readonly string[];
  authCookieName: string;
  /** Registered before the plugin's browser protections ({@link prepareOAuthServer}). */
  readyDocuments: ReadyDocuments;
  /** The plugin's route prefix ('' by default): the engine lives under `<prefix>/oauth2`. */
  routePrefix: string;
  /** The web page's address for signing in (a path on this origin), `/` by default. */
  loginPage: string;
  /**
   * Our SQL store, when the plugin runs on one: the engine's state, clients and signing keys then
   * live in its tables (migration 0012), shared by every instance. Without it (a custom store and
   * no `adapter`), in this process's memory.
   */
  sql?: { db: Kysely<Database>; dialect: Dialect };
  /** Security events (docs/audit.md). */
  audit: AuditLog;
  /**
   * The session cache and how to report a change made outside the store, when the cache is on:
   * the answers for JWT access tokens are kept there, evicted with their user (docs/resource-server.md).
   */
  sessions?: { cache: SessionCache; report(change: SessionChange): void };
}

/** The provider, built once: the engine, and how to list the clients it knows (admin API). */
export interface OAuthServer {
  engine: Provider;
  settings: ResolvedOAuthServer;
  /** Where clients are registered (admin API, CLI). */
  clients: OAuthClients;
  /** Users' grants ("Connected apps"). */
  grants: UserGrants;
  basePath: string;
}

interface Storage {
  adapter: OAuthServerAdapter;
  clients: OAuthClients;
  signingKeys: JWK[];
  /**
   * Whether the user's grant to a client still stands (true, or when it lapses, epoch ms); without
   * it, whether the client does (a deleted client's tokens die with it).
   */
  grantActive?: (userId: number, clientId: string) => Promise<boolean | number>;
  /** True when every end of a grant is reported to the session cache (ours on SQL): its JWT answers may then be kept there. */
  reportsGrantEnds?: boolean;
  /** Deletes everything the engine keeps for a user. */
  revokeUser?: (userId: number) => Promise<unknown>;
  grants: UserGrants;
}

/** Where the engine keeps its state: the adapter given, our SQL store's tables, or this process's memory. */
async function storageOf(deps: OAuthServerDependencies): Promise<Storage> {
  const { settings, sql } = deps;
  const now = deps.service.options.now;
  if (settings.adapter && settings.clients) {
    // A storage of the host's own: its grants are not listed here.
    const none: UserGrants = { list: async () => [], revoke: async () => 0 };
    return { adapter: settings.adapter, clients: settings.clients, signingKeys: await signingKeysOf(deps), grants: none };
  }
  if (sql) {
    // A grant ended here is a change of its user for the session cache: their cached JWT answers go.
    const report = deps.sessions?.report;
    const onGrantsEnded = (userIds: number[]) => {
      if (userIds.length > 0) report?.({ userIds });
    };
    const factory = createSQLAdapterFactory(sql.db, sql.dialect, { secretKeys: deps.secretKeys, now, onGrantsEnded });
    return {
      adapter: factory.Adapter,
      clients: new OAuthClientStore(sql.db, sql.dialect, { now, onGrantsEnded }),
      signingKeys: await signingKeysOf(deps),
      // A password change or reset, a deactivation or "sign out everywhere" revokes the user's
      // grants, codes and tokens here too, on every instance at once.
      revokeUser: (userId) => factory.revokeUserGrants(userId),
      grants: { list: (userId) => factory.listUserGrants(userId), revoke: (userId, clientId) => factory.revokeUserClientGrants(userId, clientId) },
      // A grant revoked (Connected apps, a password change, the reuse of a refresh token) ends its JWT access tokens at once.
      grantActive: async (userId, clientId) => (await factory.userGrantLapse(userId, clientId)) ?? false,
      reportsGrantEnds: true,
    };
  }
  const memory = memoryAdapter();
  return { adapter: memory.Adapter, clients: memoryClients(memory, now), signingKeys: [await ephemeralSigningKey()], grants: memoryGrants(memory) };
}

/** The users' grants kept in this process's memory. */
function memoryGrants(memory: ReturnType<typeof memoryAdapter>): UserGrants {
  type GrantRecord = { accountId?: string; clientId?: string; jti?: string; iat?: number; openid?: { scope?: string }; resources?: Record<string, string> };
  const of = (userId: number) => (memory.list('Grant') as GrantRecord[]).filter((grant) => grant.accountId === String(userId));
  return {
    async list(userId) {
      const clients = new Map(memory.list('Client').map((client) => [client.client_id, client.client_name]));
      return of(userId).map((grant) => {
        const scopes = new Set([grant.openid?.scope, ...Object.values(grant.resources ?? {})].flatMap((list) => (list ?? '').split(' ').filter(Boolean)));
        const name = clients.get(grant.clientId);
        return {
          clientId: grant.clientId ?? '',
          clientName: typeof name === 'string' ? name : null,
          scopes: [...scopes],
          createdAt: new Date((grant.iat ?? 0) * 1000),
        };
      });
    },
    async revoke(userId, clientId) {
      const mine = of(userId).filter((grant) => grant.clientId === clientId && grant.jti);
      const adapter = new memory.Adapter('Grant');
      for (const grant of mine) await adapter.revokeByGrantId(grant.jti!);
      return mine.length;
    },
  };
}

/** Stored signing keys (sealed under SECRET_KEY, shared by every instance) on our SQL store; otherwise one made for this process. */
async function signingKeysOf(deps: OAuthServerDependencies): Promise<JWK[]> {
  if (!deps.sql) return [await ephemeralSigningKey()];
  const jwks = await loadSigningKeys(deps.sql.db, deps.sql.dialect, { secretKeys: deps.secretKeys, now: deps.service.options.now });
  return jwks.keys as JWK[];
}

/** A signing key made at start and kept in memory: tokens signed before a restart no longer verify. */
async function ephemeralSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** The provider between its two steps of set-up (see {@link prepareOAuthServer}). */
export interface PreparedOAuthServer {
  /** The second step, once the kernel's services exist. */
  setUp(deps: Omit<OAuthServerDependencies, 'settings' | 'readyDocuments'>): Promise<OAuthServer>;
}

/**
 * The first step, taken by the plugin before its browser protections: registers the hook that
 * serves the engine's discovery document and JWKS once they are known (mount.ts), so those
 * answers skip the protections' hooks.
 */
export function prepareOAuthServer(app: FastifyInstance, settings: ResolvedOAuthServer): PreparedOAuthServer {
  const readyDocuments = new ReadyDocuments();
  serveReadyDocuments(app, readyDocuments);
  return { setUp: (deps) => setUpOAuthServer(app, { ...deps, settings, readyDocuments }) };
}

/**
 * This service as an OAuth 2.1 / OpenID Connect provider (docs/oauth-server.md): the engine
 * mounted under `<prefix>/oauth2`, the discovery documents at the root, the sign-in and consent
 * interactions, this server as one of its resources (RFC 9728 metadata, and the provider's JWT
 * access tokens admitted by `app.authenticate`).
 */
async function setUpOAuthServer(app: FastifyInstance, deps: OAuthServerDependencies): Promise<OAuthServer> {
  const { settings, store, service } = deps;
  const basePath = `${deps.routePrefix}${ENGINE_PATH}`;
  const now = service.options.now;
  const storage = await storageOf(deps);
  const signingKeys = storage.signingKeys;
  if (storage.revokeUser) service.onUserTokensRevoked(storage.revokeUser);
  const engine = createEngine({
    settings,
    secretKeys: deps.secretKeys,
    signingKeys,
    findUser: (id) => store.findUserById(id),
    adapter: storage.adapter,
    basePath,
    accountPage: deps.loginPage,
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
    audit: deps.audit,
  });
  await mountEngine(app, {
    engine,
    issuer: settings.issuer,
    basePath,
    signedInUser,
    chargeRegistration: (request) => deps.throttle.consume(deps.throttle.registrationKeys(request.ip)),
    documents: deps.readyDocuments,
  });

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
        grantActive: storage.grantActive ?? (async (_userId, clientId) => (await engine.Client.find(clientId)) !== undefined),
        // Only where every end of a grant reaches the cache: a custom or in-memory storage reads afresh each time.
        sessions: storage.reportsGrantEnds ? deps.sessions?.cache : undefined,
        now,
      }),
    );
  }
  return {
    engine,
    settings,
    basePath,
    clients: storage.clients,
    grants: storage.grants,
  };
}
