import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ProviderServer, startProviderServer } from './harness.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/**
 * The engine's routes answer in OAuth's formats (RFC 6749 §5.2 JSON, HTML error pages), so the
 * main fuzzer's JSON rule does not apply to them; what holds for every request is: never a 5xx,
 * and never a redirect to anywhere but a registered URI.
 */
describe('fuzzing the provider engine and its discovery routes', () => {
  let server: ProviderServer;
  let clientId = '';
  before(async () => {
    server = await startProviderServer();
    clientId = (await server.addClient({ redirect_uris: ['https://app.example.com/cb'], client_name: 'Fuzzed' })).clientId;
  });
  after(async () => server.close());

  test('no request makes it answer 5xx or redirect off the registered URI', async () => {
    const paths = fc.constantFrom(
      '/oauth2/authorize',
      '/oauth2/token',
      '/oauth2/userinfo',
      '/oauth2/jwks',
      '/oauth2/revoke',
      '/oauth2/introspect',
      '/oauth2/device_authorization',
      '/oauth2/device/x',
      '/oauth2/authorize/x',
      '/oauth2/device',
      '/oauth2/interaction/x',
      '/oauth2/interaction/x/consent',
      '/oauth2/nothing',
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(clientId, 'https://app.example.com/cb', 'S256', 'code', 'openid', '__proto__', '%00', 'a'.repeat(300)),
    );
    const params = fc.dictionary(
      fc.constantFrom(
        'client_id',
        'redirect_uri',
        'response_type',
        'scope',
        'state',
        'code_challenge',
        'code_challenge_method',
        'grant_type',
        'code',
        'token',
        'prompt',
        'max_age',
        'resource',
        '__proto__',
      ),
      value,
      { maxKeys: 8 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'),
        paths,
        params,
        fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', undefined),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        async (method, path, query, contentType, authorization) => {
          const search = new URLSearchParams(query as Record<string, string>).toString();
          const body = method === 'GET' || method === 'OPTIONS' ? undefined : contentType === 'application/json' ? JSON.stringify(query) : search;
          const headers: Record<string, string> = {};
          if (contentType && body !== undefined) headers['content-type'] = contentType;
          if (authorization !== undefined && /^[\x20-\x7e]*$/.test(authorization)) headers.authorization = authorization;
          const response = await server.app.inject({ method, url: `${path}${method === 'GET' ? `?${search}` : ''}`, headers, payload: body });
          assert.ok(response.statusCode < 500, `${method} ${path}?${search} → ${response.statusCode} ${response.body.slice(0, 200)}`);
          const location = response.headers.location;
          if (typeof location === 'string' && /^https?:/.test(location)) {
            assert.ok(location.startsWith('https://app.example.com/cb') || location.startsWith(server.issuer), `redirect to ${location}`);
          }
        },
      ),
      { numRuns: RUNS, seed: 21 },
    );
  });
});
