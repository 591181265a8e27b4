/**
 * The whole service as a provider, listening on 127.0.0.1 (PUBLIC_URL = the issuer), with a user
 * who signs in with a password in a "browser" (a cookie jar over fetch), and clients registered
 * straight into the engine's storage.
 */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { clientSecretDigest, memoryClients, type NewOAuthClient, type OAuthClients } from '../../../src/features/oauth-server/clients.js';
import { internalsOf } from '../../support/internals.js';
import { memoryAdapter } from '../../../src/features/oauth-server/memory-adapter.js';
import { buildServer, readConfig } from '../../../src/server.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../../support/constants.js';
import { freePort } from '../../support/servers.js';
import { sqliteURL, tempDir } from '../../support/temp.js';

/** Cookies of one browser, by name (paths ignored: every request here stays on one origin). */
export class Browser {
  readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { cookie: this.header(), ...(init.headers as Record<string, string>) } });
    this.take(response);
    return response;
  }

  /**
   * Follows redirects from `url` until one leaves for `stopAt` (returned, not followed) or a page
   * answers (returned as the last response).
   */
  async follow(url: string, stopAt: string): Promise<{ location?: URL; response: Response; visited: string[] }> {
    let current = url;
    const visited: string[] = [];
    for (let step = 0; step < 15; step++) {
      visited.push(current);
      const response = await this.fetch(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, visited };
      const next = new URL(location, current);
      if (next.href.startsWith(stopAt)) return { location: next, response, visited };
      current = next.href;
    }
    throw new Error('too many redirects');
  }
}

export interface ProviderServer {
  app: FastifyInstance;
  issuer: string;
  adapter: ReturnType<typeof memoryAdapter>;
  /** Registers a user and returns its id. */
  createUser(email: string): Promise<number>;
  /** A browser signed in as `email` (password sign-in: auth cookie). */
  signedIn(email: string): Promise<Browser>;
  /** Stores a client; a confidential one gets a secret (stored as its digest), returned here. */
  addClient(metadata: Record<string, unknown>): Promise<{ clientId: string; clientSecret?: string }>;
  close(): Promise<void>;
}

/**
 * A JWT access token for the resource `server.issuer` (RFC 8707, RFC 9068): the code flow with
 * PKCE of the confidential client `client`, scope `openid notes:read`, in `browser` (signed in; a
 * first-party client, so no consent page), through openid-client.
 */
export async function jwtByCodeFlow(
  server: ProviderServer,
  browser: Browser,
  client: { clientId: string; clientSecret?: string },
  redirect: string,
): Promise<oidc.TokenEndpointResponse> {
  const config = await oidc.discovery(new URL(server.issuer), client.clientId, client.clientSecret, oidc.ClientSecretBasic(client.clientSecret!), {
    execute: [oidc.allowInsecureRequests],
  });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirect,
    scope: 'openid notes:read',
    resource: server.issuer,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const { location } = await browser.follow(url.href, redirect);
  return oidc.authorizationCodeGrant(config, location!, { pkceCodeVerifier: verifier, expectedState: state }, { resource: server.issuer });
}

/**
 * `storage: 'sql'` (default) keeps the provider's state in the service's SQLite file, as a user
 * runs it; `'memory'` in the engine's in-memory adapter (the seam a custom store uses), whose
 * records a test can read.
 */
export async function startProviderServer(env: Record<string, string> = {}, storage: 'sql' | 'memory' = 'sql'): Promise<ProviderServer> {
  const dir = tempDir();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const adapter = memoryAdapter();
  const config = readConfig({
    SECRET_KEY: TEST_SECRET,
    DATABASE_URL: sqliteURL(dir),
    PUBLIC_URL: issuer,
    COOKIE_SECURE: 'false',
    OAUTH_SERVER: 'on',
    OAUTH_SERVER_SCOPES: 'notes:read,notes:write',
    NODE_ENV: 'test',
    ...env,
  });
  config.auth.argon2 = FAST_ARGON2;
  config.auth.unsafeArgon2ForTests = true;
  const clientStore = memoryClients(adapter, () => new Date());
  if (storage === 'memory') config.auth.oauthServer = { ...config.auth.oauthServer, adapter: adapter.Adapter, clients: clientStore };
  const app = await buildServer(config, { logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  let clients = 0;
  return {
    app,
    issuer,
    adapter,
    async createUser(email) {
      const response = await fetch(`${issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { id: number }).id;
    },
    async signedIn(email) {
      const browser = new Browser();
      const response = await browser.fetch(`${issuer}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email, password: PASSWORD }).toString(),
      });
      if (response.status >= 300) throw new Error(`login: ${response.status} ${await response.text()}`);
      return browser;
    },
    async addClient(metadata) {
      if (storage === 'sql') {
        // Through the service's own client store, on its database.
        const created = await (internalsOf(app) as unknown as { oauthServer?: { clients: OAuthClients } }).oauthServer!.clients.create({
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          ...metadata,
        } as NewOAuthClient);
        return { clientId: created.client_id, clientSecret: created.client_secret };
      }
      clients += 1;
      const clientId = `client-${clients}`;
      const confidential = (metadata.token_endpoint_auth_method ?? 'client_secret_basic') !== 'none';
      const clientSecret = confidential ? randomBytes(32).toString('base64url') : undefined;
      await new adapter.Adapter('Client').upsert(clientId, {
        client_id: clientId,
        ...(clientSecret ? { client_secret: clientSecretDigest(clientSecret) } : {}),
        ...metadata,
      });
      return { clientId, clientSecret };
    },
    async close() {
      await app.close();
      dir.cleanup();
    },
  };
}
