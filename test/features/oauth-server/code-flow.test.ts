import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { testDatabases } from '../../support/databases.js';
import { internalsOf } from '../../support/internals.js';
import { sqliteURL, tempDir } from '../../support/temp.js';
import { jwtByCodeFlow, type ProviderServer, startProviderServer } from './harness.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

for (const database of testDatabases())
  describe(`the provider: discovery and the authorization code flow with openid-client, on a listening server (${database.name})`, {
    skip: database.skip,
  }, () => {
    let server: ProviderServer;
    let userId: number;
    let drop: () => Promise<void>;
    before(async () => {
      const created = await database.create();
      drop = created.drop;
      server = await startProviderServer(created.env);
      userId = await server.createUser('ada@example.com');
    });
    after(async () => {
      await server?.close();
      await drop?.();
    });

    async function discover(clientId: string, secret: string | undefined) {
      return oidc.discovery(new URL(server.issuer), clientId, secret, secret ? oidc.ClientSecretBasic(secret) : oidc.None(), {
        execute: [oidc.allowInsecureRequests],
      });
    }

    test('both discovery documents name every endpoint, S256 only, iss in responses, public keys only', async () => {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const response = await fetch(`${server.issuer}${path}`);
        assert.equal(response.status, 200, path);
        const metadata = (await response.json()) as Record<string, unknown>;
        assert.equal(metadata.issuer, server.issuer);
        assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
        assert.equal(metadata.authorization_response_iss_parameter_supported, true);
        assert.deepEqual(metadata.response_types_supported, ['code']);
        for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint']) {
          assert.match(String(metadata[endpoint]), new RegExp(`^${server.issuer}/oauth2/`), endpoint);
        }
        assert.ok((metadata.grant_types_supported as string[]).includes('urn:ietf:params:oauth:grant-type:device_code'));
        assert.ok((metadata.grant_types_supported as string[]).includes('client_credentials'));
        assert.ok(!(metadata.grant_types_supported as string[]).includes('implicit'));
        assert.ok((metadata.scopes_supported as string[]).includes('notes:read'));
        const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Record<string, unknown>[] };
        assert.ok(jwks.keys.length >= 1);
        for (const key of jwks.keys) {
          for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(key[member], undefined, member);
        }
      }
    });

    test('discovery and the JWKS answer the same bytes and headers every time, from the ready copy, with CORS following the Origin', async () => {
      const view = async (path: string, headers: Record<string, string> = {}) => {
        const response = await fetch(`${server.issuer}${path}`, { headers });
        const kept = [...response.headers].filter(([name]) => name !== 'date');
        return { status: response.status, headers: kept, body: await response.text() };
      };
      for (const path of ['/.well-known/openid-configuration', '/oauth2/jwks']) {
        // The first answer is the engine's own; the later ones are served from its copy.
        const first = await view(path);
        const second = await view(path);
        assert.equal(first.status, 200, path);
        assert.deepEqual(second, first, path);
        assert.deepEqual(Object.fromEntries(first.headers)['access-control-allow-origin'], '*', path);
        assert.equal(Object.fromEntries(first.headers).vary, 'Origin', path);
        const fromPage = await view(path, { origin: 'https://app.example' });
        assert.equal(Object.fromEntries(fromPage.headers)['access-control-allow-origin'], 'https://app.example', path);
        assert.equal(fromPage.body, first.body, path);
        // A query, a preflight and HEAD still go to the engine, and answer as it does.
        assert.equal((await view(`${path}?x=1`)).body, first.body, path);
        const preflight = await fetch(`${server.issuer}${path}`, {
          method: 'OPTIONS',
          headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
        });
        assert.equal(preflight.status, 204, path);
        assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET', path);
      }
      // The RFC 8414 path is the same document.
      assert.equal((await view('/.well-known/oauth-authorization-server')).body, (await view('/.well-known/openid-configuration')).body);
    });

    test('a first-party client: code + PKCE + nonce, the ID token (iss, aud, sub, amr, email), userinfo, refresh rotation and reuse', async () => {
      const { clientId, clientSecret } = await server.addClient({
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        first_party: true,
        client_name: 'Notes',
      });
      const config = await discover(clientId, clientSecret);
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
        prompt: 'consent',
      });
      const browser = await server.signedIn('ada@example.com');
      const { location } = await browser.follow(url.href, REDIRECT);
      assert.ok(location, 'redirected back to the client');
      assert.equal(location.searchParams.get('iss'), server.issuer);
      const tokens = await oidc.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
      const claims = tokens.claims()!;
      assert.equal(claims.iss, server.issuer);
      assert.equal(claims.aud, clientId);
      assert.equal(claims.sub, String(userId));
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(typeof claims.auth_time, 'number');
      assert.equal(claims.email, 'ada@example.com');
      assert.equal(claims.email_verified, false);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, String(userId));
      assert.equal(info.email, 'ada@example.com');
      assert.ok(tokens.refresh_token);

      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== tokens.refresh_token, 'a new refresh token on every use');
      // The old one again: refused, and the whole grant with it (the rotated token too).
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
      await assert.rejects(oidc.refreshTokenGrant(config, rotated.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
    });

    test("a password change revokes the user's grants here too: the refresh token and the opaque access token stop working", async () => {
      const { clientId, clientSecret } = await server.addClient({ redirect_uris: [REDIRECT], first_party: true, client_name: 'Notes again' });
      const id = await server.createUser('changes@example.com');
      const config = await discover(clientId, clientSecret);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'p',
        prompt: 'consent',
      });
      const { location } = await (await server.signedIn('changes@example.com')).follow(url.href, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(config, location!, { pkceCodeVerifier: verifier, expectedState: 'p' });
      assert.equal((await fetch(`${server.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 200);
      await internalsOf(server.app).account.updateUser(id, { password: 'a brand new passphrase for this test' });
      assert.equal((await fetch(`${server.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
    });

    test('revoking a refresh token (RFC 7009) ends its access tokens; device authorization answers with codes', async () => {
      const { clientId, clientSecret } = await server.addClient({
        redirect_uris: [REDIRECT],
        first_party: true,
        client_name: 'Revoker',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      });
      await server.createUser('revokes@example.com');
      const config = await discover(clientId, clientSecret);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'r',
        prompt: 'consent',
      });
      const { location } = await (await server.signedIn('revokes@example.com')).follow(url.href, REDIRECT);
      const tokens = await oidc.authorizationCodeGrant(config, location!, { pkceCodeVerifier: verifier, expectedState: 'r' });
      const userinfo = () => fetch(`${server.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal((await userinfo()).status, 200);
      await oidc.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
      assert.equal((await userinfo()).status, 401);
      await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!));

      const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
      assert.match(device.user_code, /\S/);
      assert.ok(device.device_code);
      assert.match(device.verification_uri, new RegExp(`^${server.issuer}/oauth2/device`));
    });
  });

for (const database of testDatabases())
  describe(`JWT access tokens answered from memory end with their grant, here at once and on another instance within a second (${database.name})`, {
    skip: database.skip,
  }, () => {
    let a: ProviderServer;
    let b: ProviderServer;
    let drop: () => Promise<void>;
    before(async () => {
      const created = await database.create();
      drop = created.drop;
      const shared = created.env.DATABASE_URL ? created.env : { DATABASE_URL: sqliteURL(tempDir()) };
      a = await startProviderServer(shared);
      // Two instances of one deployment: one database, one PUBLIC_URL (the issuer and the resource).
      b = await startProviderServer({ ...shared, PUBLIC_URL: a.issuer });
    });
    after(async () => {
      await b?.close();
      await a?.close();
      await drop?.();
    });

    /** A JWT access token for the resource `a.issuer`, from the code flow of a new first-party client, and the user's browser. */
    async function jwtFor(email: string, name: string) {
      const { clientId, clientSecret } = await a.addClient({ redirect_uris: [REDIRECT], client_name: name, first_party: true });
      await a.createUser(email).catch(() => undefined);
      const browser = await a.signedIn(email);
      const tokens = await jwtByCodeFlow(a, browser, { clientId, clientSecret }, REDIRECT);
      return { clientId, browser, jwt: tokens.access_token };
    }

    const me = (server: ProviderServer, jwt: string) => fetch(`${server.issuer}/users/me`, { headers: { authorization: `Bearer ${jwt}` } });

    /** Answers twice on both instances, the second time from memory (the cache counts a hit). */
    async function cachedOnBoth(jwt: string): Promise<void> {
      for (const server of [a, b]) {
        assert.equal((await me(server, jwt)).status, 200);
        const hits = internalsOf(server.app).auth.sessions!.stats.hits;
        assert.equal((await me(server, jwt)).status, 200);
        assert.equal(internalsOf(server.app).auth.sessions!.stats.hits, hits + 1, 'answered from memory');
      }
    }

    /** Polls `b` until it refuses the token; fails after the cache's one-second promise (and some slack for a loaded machine). */
    async function refusedOnB(jwt: string): Promise<void> {
      const started = Date.now();
      while ((await me(b, jwt)).status === 200) {
        assert.ok(Date.now() - started < 1500, 'still admitted on the other instance after 1.5 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal((await me(b, jwt)).status, 401);
    }

    test('disconnecting the app ("Connected apps")', async () => {
      const { clientId, browser, jwt } = await jwtFor('connected@example.com', 'Connected');
      await cachedOnBoth(jwt);
      const csrf = { 'x-csrftoken': decodeURIComponent(browser.cookies.get('csrftoken') ?? '') };
      assert.equal((await browser.fetch(`${a.issuer}/users/me/oauth-grants/${clientId}`, { method: 'DELETE', headers: csrf })).status, 204);
      assert.equal((await me(a, jwt)).status, 401);
      await refusedOnB(jwt);
    });

    test('deleting the client', async () => {
      const { clientId, jwt } = await jwtFor('client-deleted@example.com', 'Deleted');
      await cachedOnBoth(jwt);
      const internals = internalsOf(a.app) as unknown as { oauthServer: { clients: { delete(id: string): Promise<boolean> } } };
      assert.equal(await internals.oauthServer.clients.delete(clientId), true);
      assert.equal((await me(a, jwt)).status, 401);
      await refusedOnB(jwt);
    });

    test('a password change and a deactivation', async () => {
      const first = await jwtFor('password@example.com', 'Password');
      await cachedOnBoth(first.jwt);
      const id = ((await (await me(a, first.jwt)).json()) as { id: number }).id;
      await internalsOf(a.app).account.updateUser(id, { password: 'a brand new passphrase for this test' });
      assert.equal((await me(a, first.jwt)).status, 401);
      await refusedOnB(first.jwt);
      const second = await jwtFor('deactivated-jwt@example.com', 'Deactivated');
      await cachedOnBoth(second.jwt);
      const other = ((await (await me(a, second.jwt)).json()) as { id: number }).id;
      await internalsOf(a.app).auth.store.updateUser(other, { isActive: false }, new Date());
      assert.equal((await me(a, second.jwt)).status, 401);
      await refusedOnB(second.jwt);
    });
  });
