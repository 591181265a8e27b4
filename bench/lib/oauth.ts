import { createHash, randomBytes } from 'node:crypto';
import { OAuthClientStore } from '../../src/features/oauth-server/client-store.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import type { ServerProcess } from './process.js';

/** Where the bench's client says it listens; never called: the code is read from the redirect's Location. */
export const BENCH_REDIRECT = 'http://127.0.0.1:9/callback';

/** A confidential first-party client registered straight into a (stopped) server's SQLite file, as `clients create` does. */
export async function registerClient(databaseUrl: string): Promise<{ clientId: string; clientSecret: string }> {
  const store = await SQLStore.open(databaseUrl);
  try {
    const created = await new OAuthClientStore(store.db, store.dialect).create({
      client_name: 'Bench',
      redirect_uris: [BENCH_REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      first_party: true,
    });
    return { clientId: created.client_id, clientSecret: created.client_secret! };
  } finally {
    await store.close();
  }
}

/** Cookies of one signed-in "browser" over fetch (one origin, paths ignored). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie } });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const at = pair.indexOf('=');
      const value = pair.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(pair.slice(0, at).trim());
      else this.cookies.set(pair.slice(0, at).trim(), value);
    }
    return response;
  }
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

/**
 * The authorization code flow (PKCE S256) as a user of our server goes through it: sign in with a
 * password (POST /login, the auth cookie) then an authorization request of a first-party client
 * (no consent page), `count` times, each code exchanged at the token endpoint. `resource` asks for a JWT access
 * token (RFC 8707, RFC 9068).
 */
export async function codeFlowTokens(
  server: ServerProcess,
  client: { clientId: string; clientSecret: string },
  login: { email: string; password: string },
  count: number,
  options: { scope: string; resource?: string },
): Promise<Tokens[]> {
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  const tokens: Tokens[] = [];
  for (let i = 0; i < count; i++) {
    // A fresh browser per flow: the engine keeps one grant per client and session, and each flow here should have its own.
    const jar = new CookieJar();
    const signIn = await jar.fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(login).toString(),
    });
    if (signIn.status !== 204) throw new Error(`${server.name} POST /login answered ${signIn.status}: ${(await signIn.text()).slice(0, 200)}`);
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${server.url}/oauth2/authorize`);
    authorize.search = new URLSearchParams({
      client_id: client.clientId,
      redirect_uri: BENCH_REDIRECT,
      response_type: 'code',
      scope: options.scope,
      state: `s${i}`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      // The engine grants offline_access only with consent asked for (OpenID Connect Core §11); a first-party client is not shown the page.
      prompt: 'consent',
      ...(options.resource ? { resource: options.resource } : {}),
    }).toString();
    let current = authorize.href;
    let code: string | null = null;
    for (let step = 0; step < 10 && code === null; step++) {
      const response = await jar.fetch(current);
      const location = response.headers.get('location');
      if (!location) throw new Error(`${server.name} authorization stopped at ${current}: ${response.status} ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
      const next = new URL(location, current);
      if (next.href.startsWith(BENCH_REDIRECT)) {
        code = next.searchParams.get('code');
        if (!code) throw new Error(`${server.name} authorization answered ${next.search}`);
      } else current = next.href;
    }
    if (code === null) throw new Error(`${server.name}: too many redirects in the authorization request`);
    const exchange = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: BENCH_REDIRECT, code_verifier: verifier }).toString(),
    });
    const body = (await exchange.json()) as Tokens;
    if (exchange.status !== 200) throw new Error(`${server.name} code exchange answered ${exchange.status}: ${JSON.stringify(body).slice(0, 200)}`);
    tokens.push(body);
  }
  return tokens;
}

/**
 * One round of the refresh grant: `chains.length` concurrent clients, each presenting its current
 * refresh token and keeping the rotated one (a spent token presented again would revoke its
 * grant), for `seconds`. Returns successful grants per second; any other answer fails the run.
 */
export async function driveRefresh(url: string, client: { clientId: string; clientSecret: string }, chains: string[], seconds: number): Promise<number> {
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let ok = 0;
  await Promise.all(
    chains.map(async (_, k) => {
      while (performance.now() < deadline) {
        const response = await fetch(`${url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[k]! }).toString(),
        });
        const body = (await response.json()) as Tokens;
        if (response.status !== 200 || !body.refresh_token || !body.id_token) {
          throw new Error(`${url} refresh grant answered ${response.status}: ${JSON.stringify(body).slice(0, 200)}`);
        }
        chains[k] = body.refresh_token;
        ok += 1;
      }
    }),
  );
  return ok / ((performance.now() - started) / 1000);
}
