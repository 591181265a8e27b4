/**
 * An MCP client nobody here wrote signs in with this provider: the MCP TypeScript SDK's client,
 * with its OAuth client provider, against an MCP server (the SDK's McpServer over Streamable HTTP
 * on a node http server) that names this provider in its RFC 9728 metadata. The client learns of
 * the provider from the MCP server's 401 (`WWW-Authenticate: Bearer resource_metadata=…`), reads
 * the provider's RFC 8414 metadata, registers itself (RFC 7591, OAUTH_SERVER_DYNAMIC_REGISTRATION),
 * is sent to authorize — played here by a signed-in user's browser that answers the consent page
 * with Allow — and gets a JWT access token (RFC 9068) for the MCP server's URL (RFC 8707), which
 * the MCP server verifies against the provider's JWKS before running the tool
 * (docs/oauth-server.md).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freePort } from '../support/servers.js';
import { type Browser, type ProviderServer, startProviderServer } from '../features/oauth-server/harness.js';

const REDIRECT = 'http://127.0.0.1:9/mcp-callback';
const EMAIL = 'mcp@example.com';

/**
 * The MCP server: one tool, `whoami`, behind a bearer check of the provider's JWT access tokens
 * for `resource`. Stateless Streamable HTTP: a server and a transport per request.
 */
async function startMcpServer(port: number, issuer: string): Promise<{ resource: string; server: Server; calls: string[] }> {
  const resource = `http://127.0.0.1:${port}/mcp`;
  const metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const calls: string[] = [];
  const server = createServer(async (req, res) => {
    if (req.url === '/.well-known/oauth-protected-resource/mcp') {
      // RFC 9728 §3: the resource, and the authorization server that issues tokens for it.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ resource, authorization_servers: [issuer], scopes_supported: ['notes:read'], bearer_methods_supported: ['header'] }));
      return;
    }
    if (req.url !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const challenge = `Bearer resource_metadata="${metadataUrl}"`;
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    let subject: string;
    let scope: string;
    try {
      if (!bearer) throw new Error('no token');
      // RFC 9068 §4: our issuer, this resource as audience, typ at+jwt (never an ID token).
      const { payload } = await jwtVerify(bearer, keys, { issuer, audience: resource, typ: 'at+jwt', algorithms: ['RS256'] });
      subject = String(payload.sub);
      scope = String(payload.scope ?? '');
    } catch {
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_token' }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const mcp = new McpServer({ name: 'notes-mcp', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'The user the access token was issued for' }, async () => {
      calls.push(subject);
      return { content: [{ type: 'text', text: JSON.stringify({ sub: subject, scope }) }] };
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { resource, server, calls };
}

/** The SDK's OAuth client provider, in memory; authorizing is a signed-in browser answering Allow. */
class BrowserClientProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  code: string | undefined;
  consentShown = false;

  constructor(private readonly browser: Browser) {}

  get redirectUrl(): string {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'An MCP client',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'notes:read',
    };
  }
  state(): string {
    return 'mcp-state';
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL): Promise<void> {
    this.authorizationUrl = url;
    // A client registered by anyone is never first-party: the user sees the consent page and allows.
    const { response, visited } = await this.browser.follow(url.href, REDIRECT);
    assert.equal(response.status, 200, 'the consent page');
    const page = await response.text();
    this.consentShown = /Allow/.test(page) && /An MCP client/.test(page);
    const action = new URL(/action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&'), visited.at(-1)).href;
    const token = /name="token" value="([^"]+)"/.exec(page)![1]!;
    const allowed = await this.browser.fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=allow&token=${encodeURIComponent(token)}`,
    });
    const back = await this.browser.follow(new URL(allowed.headers.get('location')!, action).href, REDIRECT);
    assert.ok(back.location, 'sent back to the MCP client');
    assert.equal(back.location.searchParams.get('state'), 'mcp-state');
    this.code = back.location.searchParams.get('code') ?? undefined;
  }
}

describe('the MCP TypeScript SDK: discovery from a 401, registration, consent, a JWT for the MCP server, a tool call', () => {
  let provider: ProviderServer;
  let mcp: Awaited<ReturnType<typeof startMcpServer>>;
  let userId: number;

  before(async () => {
    const mcpPort = await freePort();
    provider = await startProviderServer({
      OAUTH_SERVER_DYNAMIC_REGISTRATION: 'on',
      OAUTH_SERVER_RESOURCES: `http://127.0.0.1:${mcpPort}/mcp`,
    });
    userId = await provider.createUser(EMAIL);
    mcp = await startMcpServer(mcpPort, provider.issuer);
  });
  after(async () => {
    await new Promise((resolve) => mcp?.server.close(resolve));
    await provider?.close();
  });

  test('the client is told of the provider by the 401, registers, is authorized with consent and calls the tool with its JWT', async () => {
    const auth = new BrowserClientProvider(await provider.signedIn(EMAIL));
    const url = new URL(mcp.resource);

    const first = new Client({ name: 'test-client', version: '1.0.0' });
    await assert.rejects(first.connect(new StreamableHTTPClientTransport(url, { authProvider: auth })), UnauthorizedError);
    // What the SDK did on its own: registered at the provider's registration endpoint, sent to its authorize.
    assert.ok(auth.information?.client_id, 'registered');
    assert.equal(`${auth.authorizationUrl?.origin}${auth.authorizationUrl?.pathname}`, `${provider.issuer}/oauth2/authorize`);
    assert.equal(auth.authorizationUrl?.searchParams.get('resource'), mcp.resource);
    assert.equal(auth.authorizationUrl?.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.consentShown, 'the consent page named the client');
    assert.ok(auth.code, 'a code');

    const transport = new StreamableHTTPClientTransport(url, { authProvider: auth });
    await transport.finishAuth(auth.code!);
    const access = auth.saved?.access_token ?? '';
    const [, payload] = access.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(claims.aud, mcp.resource, 'a JWT for the MCP server');
    assert.equal(claims.sub, String(userId));

    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: auth }));
    const tools = await client.listTools();
    assert.deepEqual(
      tools.tools.map((tool) => tool.name),
      ['whoami'],
    );
    const result = (await client.callTool({ name: 'whoami' })) as { content: { type: string; text: string }[] };
    assert.deepEqual(JSON.parse(result.content[0]!.text), { sub: String(userId), scope: 'notes:read' });
    assert.deepEqual(mcp.calls, [String(userId)]);
    await client.close();

    // Without the token, the MCP server answers 401 naming its metadata.
    const bare = await fetch(mcp.resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(bare.status, 401);
    assert.match(bare.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
  });
});
