/**
 * Our OpenID Connect provider driven by a client nobody here wrote: Python's Authlib
 * (`OAuth2Session` with PKCE S256), against a real listening server with the provider on. Authlib
 * reads discovery and builds the authorization URL; this test plays the browser of a user signed
 * in here (the auth cookie) through a first-party client's request, so no consent page; Authlib
 * then redeems the code at the token endpoint, verifies the ID token against the published JWKS
 * (iss, aud, nonce) and calls userinfo (docs/oauth-server.md).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../support/constants.js';
import { pythonAuthlib } from '../support/services.js';
import { type ProviderServer, startProviderServer } from '../features/oauth-server/harness.js';

const PYTHON = pythonAuthlib();
const SCRIPT = join(ROOT, 'test', 'e2e', 'authlib_provider.py');
const REDIRECT = 'http://127.0.0.1:9/callback';
const EMAIL = 'authlib@example.com';

describe('Authlib (Python) signs a user in with this provider: code + PKCE, ID token, userinfo', { skip: PYTHON.skip }, () => {
  let server: ProviderServer;
  let userId: number;

  before(async () => {
    server = await startProviderServer();
    userId = await server.createUser(EMAIL);
  });
  after(async () => {
    await server?.close();
  });

  /**
   * Runs the script for one client: reads its authorization URL, follows it as `EMAIL`'s browser
   * (or hands the script `callback(url)` instead), and returns the script's JSON line.
   */
  async function signIn(
    clientId: string,
    clientSecret: string | undefined,
    callback?: (authorizationUrl: URL) => Promise<string>,
  ): Promise<{ result: Record<string, unknown>; authorizationUrl: URL }> {
    const child = spawn(PYTHON.value!, [SCRIPT, server.issuer, clientId, REDIRECT, ...(clientSecret ? [clientSecret] : [])], {
      // Authlib refuses plain http; the provider is on loopback for the test only.
      env: { PATH: process.env.PATH, AUTHLIB_INSECURE_TRANSPORT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) throw new Error(`the script printed no authorization URL: ${stderr}`);
    const authorizationUrl = new URL(first.value);
    let back: string;
    if (callback) back = await callback(authorizationUrl);
    else {
      const browser = await server.signedIn(EMAIL);
      const { location, response } = await browser.follow(authorizationUrl.href, REDIRECT);
      assert.ok(location, `redirected back to the client (last answer ${response.status})`);
      back = location.href;
    }
    child.stdin.end(`${back}\n`);
    const last = await lines.next();
    const code = await exited;
    if (last.done || code !== 0) throw new Error(`the script failed (exit ${code}): ${stderr}`);
    return { result: JSON.parse(last.value) as Record<string, unknown>, authorizationUrl };
  }

  for (const kind of ['public', 'confidential'] as const)
    test(`a ${kind} first-party client: Authlib's authorization URL with S256, the code redeemed, the ID token verified, userinfo`, async () => {
      const { clientId, clientSecret } = await server.addClient({
        client_name: `Authlib ${kind}`,
        redirect_uris: [REDIRECT],
        first_party: true,
        ...(kind === 'public' ? { token_endpoint_auth_method: 'none' } : { token_endpoint_auth_method: 'client_secret_basic' }),
      });
      assert.equal(Boolean(clientSecret), kind === 'confidential');
      const { result, authorizationUrl } = await signIn(clientId, clientSecret);
      // The URL is Authlib's own: PKCE with S256 and a nonce, at the endpoint discovery named.
      assert.equal(`${authorizationUrl.origin}${authorizationUrl.pathname}`, `${server.issuer}/oauth2/authorize`);
      assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
      assert.match(authorizationUrl.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
      assert.ok(authorizationUrl.searchParams.get('nonce'));
      assert.deepEqual(result, {
        token_type: 'Bearer',
        sub: String(userId),
        aud: clientId,
        iss: server.issuer,
        nonce: authorizationUrl.searchParams.get('nonce'),
        id_token_email: EMAIL,
        userinfo_sub: String(userId),
        userinfo_email: EMAIL,
      });
    });

  test('a code redeemed with the wrong PKCE verifier is refused: Authlib raises invalid_grant', async () => {
    const { clientId } = await server.addClient({
      client_name: 'Authlib tampered',
      redirect_uris: [REDIRECT],
      first_party: true,
      token_endpoint_auth_method: 'none',
    });
    const browser = await server.signedIn(EMAIL);
    const { result } = await signIn(clientId, undefined, async (url) => {
      // Another challenge than Authlib's: the code is then bound to a verifier the script does not hold.
      url.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
      const { location } = await browser.follow(url.href, REDIRECT);
      assert.ok(location, 'redirected back to the client');
      assert.ok(location.searchParams.get('code'));
      return location.href;
    });
    assert.deepEqual(result, { raised: 'OAuthError', error: 'invalid_grant' });
  });
});
