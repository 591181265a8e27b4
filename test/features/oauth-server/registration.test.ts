import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { type ProviderServer, startProviderServer } from './harness.js';

describe('open client registration (OAUTH_SERVER_DYNAMIC_REGISTRATION=on) and native loopback redirect URIs', () => {
  let server: ProviderServer;
  before(async () => {
    server = await startProviderServer({ OAUTH_SERVER_DYNAMIC_REGISTRATION: 'on', THROTTLE_REGISTER_LIMIT: '4' });
    await server.createUser('lin@example.com');
  });
  after(async () => server.close());

  const register = (body: Record<string, unknown>) =>
    fetch(`${server.issuer}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('a public client registers itself; first_party and a secret are refused; the address is throttled like sign-ups', async () => {
    const made = await register({
      client_name: 'MCP client',
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
    assert.equal(made.status, 201, await made.clone().text());
    const client = (await made.json()) as Record<string, unknown>;
    assert.equal(client.client_secret, undefined);
    assert.equal(client.first_party, undefined);
    // The same id format as clients registered by an administrator: never a leading "-".
    assert.match(String(client.client_id), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    const firstParty = await register({ redirect_uris: ['https://x.example/cb'], token_endpoint_auth_method: 'none', first_party: true });
    assert.equal(firstParty.status, 400);
    assert.equal(((await firstParty.json()) as { error: string }).error, 'invalid_client_metadata');
    const confidential = await register({ redirect_uris: ['https://x.example/cb'] });
    assert.equal(confidential.status, 400);
    // Four registrations from this address so far (the user's sign-up and the refused ones count too): the fifth is 429.
    const over = await register({ redirect_uris: ['https://x.example/cb'], token_endpoint_auth_method: 'none' });
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) > 0);
  });

  test('a native client registered with http://127.0.0.1/cb is sent back to the port it asks for (RFC 8252 §7.3); a web client is not', async () => {
    const native = await server.addClient({
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      first_party: true,
    });
    const web = await server.addClient({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none', first_party: true });
    const browser = await server.signedIn('lin@example.com');
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const authorize = (clientId: string) => {
      const url = new URL(`${server.issuer}/oauth2/authorize`);
      for (const [k, v] of Object.entries({
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:54321/cb',
        response_type: 'code',
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
      })) {
        url.searchParams.set(k, v);
      }
      return browser.follow(url.href, 'http://127.0.0.1:54321/cb');
    };
    assert.ok((await authorize(native.clientId)).location?.searchParams.get('code'));
    const refused = await authorize(web.clientId);
    assert.equal(refused.location, undefined);
    assert.equal(refused.response.headers.get('location'), null);
  });
});
