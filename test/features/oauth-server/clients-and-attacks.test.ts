import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { type Browser, jwtByCodeFlow, type ProviderServer, startProviderServer } from './harness.js';

const REDIRECT = 'https://app.example.com/cb';

describe('the provider: clients registered by a superuser, client credentials, introspection, and attacks', () => {
  let server: ProviderServer;
  let admin: Browser;
  let csrf: () => Record<string, string>;
  before(async () => {
    server = await startProviderServer({}, 'memory');
    const id = await server.createUser('root@example.com');
    await server.createUser('user@example.com');
    await (await import('../../support/internals.js')).internalsOf(server.app).auth.store.updateUser(id, { isSuperuser: true }, new Date());
    admin = await server.signedIn('root@example.com');
    csrf = () => ({ 'x-csrftoken': decodeURIComponent(admin.cookies.get('csrftoken') ?? '') });
  });
  after(async () => server.close());

  async function register(body: Record<string, unknown>) {
    return admin.fetch(`${server.issuer}/admin/oauth-clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...csrf() },
      body: JSON.stringify(body),
    });
  }

  test('POST /admin/oauth-clients: 201 with the secret once; GET lists without it; others get 403; bad registrations 400/422', async () => {
    const created = await register({ client_name: 'Billing', grant_types: ['client_credentials'], scope: 'notes:read' });
    assert.equal(created.status, 201, await created.clone().text());
    const client = (await created.json()) as Record<string, unknown>;
    assert.equal(typeof client.client_secret, 'string');
    assert.equal(client.first_party, false);
    const list = (await (await admin.fetch(`${server.issuer}/admin/oauth-clients`)).json()) as Record<string, unknown>[];
    const listed = list.find((c) => c.client_id === client.client_id)!;
    assert.ok(listed);
    assert.equal(listed.client_secret, undefined);
    assert.doesNotMatch(JSON.stringify(list), new RegExp(String(client.client_secret)));
    // What is stored is the secret's digest, never the secret.
    const stored = server.adapter.list('Client').find((c) => c.client_id === client.client_id)!;
    assert.notEqual(stored.client_secret, client.client_secret);
    assert.match(String(stored.client_secret), /^[0-9a-f]{64}$/);

    const user = await server.signedIn('user@example.com');
    const refused = await user.fetch(`${server.issuer}/admin/oauth-clients`);
    assert.equal(refused.status, 403);
    // A public client cannot use client_credentials (the engine's rule, said before storing).
    const publicCC = await register({ client_name: 'x', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
    assert.equal(publicCC.status, 400);
    assert.equal(((await publicCC.json()) as { code: string }).code, 'OAUTH_CLIENT_INVALID');
    assert.equal((await register({ client_name: 'x', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_jwt' })).status, 422);
    assert.equal((await register({ client_name: 'x', redirect_uris: ['https://app.example.com/cb#frag'] })).status, 400);
  });

  test('client credentials and introspection with oauth4webapi; a revoked token is inactive; a deleted client is gone', async () => {
    const client = (await (await register({ client_name: 'Worker', grant_types: ['client_credentials'], scope: 'notes:read' })).json()) as {
      client_id: string;
      client_secret: string;
    };
    const as = await oauth.processDiscoveryResponse(
      new URL(server.issuer),
      await oauth.discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true }),
    );
    const c: oauth.Client = { client_id: client.client_id };
    const auth = oauth.ClientSecretBasic(client.client_secret);
    const options = { [oauth.allowInsecureRequests]: true };
    const granted = await oauth.processClientCredentialsResponse(
      as,
      c,
      await oauth.clientCredentialsGrantRequest(as, c, auth, new URLSearchParams({ scope: 'notes:read' }), options),
    );
    assert.ok(granted.access_token);
    const introspect = async (token: string) => oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, token, options));
    const active = await introspect(granted.access_token);
    assert.equal(active.active, true);
    assert.equal(active.client_id, client.client_id);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, granted.access_token, options));
    assert.equal((await introspect(granted.access_token)).active, false);
    assert.equal((await introspect('not-a-token')).active, false);
    // A wrong secret is refused.
    await assert.rejects(
      oauth
        .clientCredentialsGrantRequest(as, c, oauth.ClientSecretBasic('wrong'), new URLSearchParams(), options)
        .then((r) => oauth.processClientCredentialsResponse(as, c, r)),
    );
    const deleted = await admin.fetch(`${server.issuer}/admin/oauth-clients/${client.client_id}`, { method: 'DELETE', headers: csrf() });
    assert.equal(deleted.status, 204);
    assert.equal((await admin.fetch(`${server.issuer}/admin/oauth-clients/${client.client_id}`, { method: 'DELETE', headers: csrf() })).status, 404);
    await assert.rejects(
      oauth.clientCredentialsGrantRequest(as, c, auth, new URLSearchParams(), options).then((r) => oauth.processClientCredentialsResponse(as, c, r)),
    );
  });

  test('near-miss redirect URIs are never followed: an error page, no redirect', async () => {
    const { clientId } = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Exact' });
    const browser = await server.signedIn('user@example.com');
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const near = [
      'https://app.example.com/cb/extra',
      'https://app.example.com/c',
      'https://app.example.com/cbx',
      'https://app.example.com:8443/cb',
      'https://evil.example.com/cb',
      'https://app.example.com.evil.example/cb',
      'https://app.example.com/cb?x=1',
      'https://app.example.com/cb#f',
      'https://user@app.example.com/cb',
      'https://app.example.com/CB',
      'http://app.example.com/cb',
    ];
    for (const uri of near) {
      const url = new URL(`${server.issuer}/oauth2/authorize`);
      for (const [k, v] of Object.entries({
        client_id: clientId,
        redirect_uri: uri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
      })) {
        url.searchParams.set(k, v);
      }
      const response = await browser.fetch(url.href);
      assert.ok(response.status < 300 || response.status >= 400, `${uri}: ${response.status} → ${response.headers.get('location')}`);
      assert.equal(response.headers.get('location'), null, uri);
      assert.match(await response.text(), /refused/, uri);
    }
    // An unknown client too.
    const unknown = await browser.fetch(
      `${server.issuer}/oauth2/authorize?client_id=nobody&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid`,
    );
    assert.equal(unknown.headers.get('location'), null);
  });

  test('a form_post answer (OAuth 2.0 Form Post Response Mode) may post to the client: its page policy lets the form go to the redirect URI', async () => {
    const { clientId } = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Poster', first_party: true });
    const browser = await server.signedIn('user@example.com');
    const url = new URL(`${server.issuer}/oauth2/authorize`);
    const params = {
      client_id: clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      response_mode: 'form_post',
      scope: 'openid',
      state: 'posted',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const { response, location } = await browser.follow(url.href, REDIRECT);
    assert.equal(location, undefined);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, new RegExp(`<form method="post" action="${REDIRECT}"`));
    assert.match(html, /name="code"/);
    // The page carries the security headers, and whatever page policy it has lets the form go.
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const policy = response.headers.get('content-security-policy');
    if (policy !== null) {
      const formAction = policy.split(';').find((directive) => directive.trim().startsWith('form-action'));
      assert.ok(formAction === undefined || formAction.includes(new URL(REDIRECT).origin), `form-action allows ${new URL(REDIRECT).origin}: ${policy}`);
    }
  });

  test('PKCE is required (missing or plain refused), implicit is refused, a code works once and its replay revokes the tokens', async () => {
    const { clientId, clientSecret } = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Ours', first_party: true });
    const browser = await server.signedIn('user@example.com');
    const base = { client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid offline_access', state: 'st', prompt: 'consent' };
    const attempt = async (extra: Record<string, string>) => {
      const url = new URL(`${server.issuer}/oauth2/authorize`);
      for (const [k, v] of Object.entries({ ...base, ...extra })) url.searchParams.set(k, v);
      return browser.follow(url.href, REDIRECT);
    };
    const refused: Record<string, string>[] = [
      {},
      { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      { response_type: 'token' },
      { response_type: 'code id_token' },
    ];
    for (const extra of refused) {
      const { location } = await attempt(extra);
      assert.ok(location, JSON.stringify(extra));
      // The error comes back in the query, or in the fragment for the response types that would use one.
      const answer = new URLSearchParams(location.search || location.hash.slice(1));
      assert.ok(['invalid_request', 'unsupported_response_type'].includes(answer.get('error') ?? ''), `${JSON.stringify(extra)}: ${location}`);
      assert.equal(answer.get('code'), null);
      assert.equal(answer.get('access_token'), null);
    }
    const verifier = oidc.randomPKCECodeVerifier();
    const { location } = await attempt({ code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const code = location!.searchParams.get('code')!;
    const exchange = () =>
      fetch(`${server.issuer}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret!)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
      });
    const first = await exchange();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    const replay = await exchange();
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    // The tokens issued from the replayed code are revoked (RFC 6749 §4.1.2).
    const info = await fetch(`${server.issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.status, 401);
  });

  test('a JWT access token for this server admits its user at GET /users/me, and is refused once the user is deactivated', async () => {
    const { clientId, clientSecret } = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Reader', first_party: true });
    const userId = await server.createUser('deactivated@example.com');
    const browser = await server.signedIn('deactivated@example.com');
    const tokens = await jwtByCodeFlow(server, browser, { clientId, clientSecret }, REDIRECT);
    const [header] = tokens.access_token.split('.');
    assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).typ, 'at+jwt');
    const me = () => fetch(`${server.issuer}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const admitted = await me();
    assert.equal(admitted.status, 200);
    assert.equal(((await admitted.json()) as { id: number }).id, userId);
    // Account management is first-party only: an app's token cannot list or disconnect apps.
    const grants = await fetch(`${server.issuer}/users/me/oauth-grants`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(grants.status, 403);
    assert.equal(((await grants.json()) as { code: string }).code, 'FIRST_PARTY_SESSION_REQUIRED');
    const { internalsOf } = await import('../../support/internals.js');
    await internalsOf(server.app).auth.store.updateUser(userId, { isActive: false }, new Date());
    assert.equal((await me()).status, 401);
  });
});
