import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.js';
import { buildServer, readConfig } from '../../src/server.js';
import { buildWeb } from '../../scripts/build-web.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { setCookies } from '../support/cookies.js';
import { form, register } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

/** The real server (server.ts) on a temp SQLite file, with the given extra environment. */
async function startServer(env: Record<string, string>): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const dir = tempDir();
  const config = readConfig({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET, ...env });
  config.auth.argon2 = FAST_ARGON2;
  config.auth.unsafeArgon2ForTests = true;
  try {
    const app = await buildServer(config, { logger: false });
    return {
      app,
      close: async () => {
        await app.close();
        dir.cleanup();
      },
    };
  } catch (error) {
    dir.cleanup();
    throw error;
  }
}

describe('security headers on the server', () => {
  let server: { app: FastifyInstance; close: () => Promise<void> };
  before(async () => {
    await buildWeb();
    server = await startServer({ CSRF_COOKIE_NAME: 'xsrf' });
  });
  after(async () => server.close());

  function assertHelmetHeaders(headers: Record<string, unknown>, what: string): void {
    assert.equal(headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', what);
    assert.equal(headers['x-content-type-options'], 'nosniff', what);
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN', what);
    assert.equal(headers['referrer-policy'], 'no-referrer', what);
    assert.ok(headers['content-security-policy'], what);
  }

  test('JSON responses carry the helmet set and Cache-Control: no-store — success, refusal, 404, OpenAPI', async () => {
    const responses = {
      health: await server.app.inject({ method: 'GET', url: '/health' }),
      refused: await server.app.inject({
        method: 'POST',
        url: '/register',
        headers: { origin: 'https://evil.example' },
        payload: { email: 'x@example.com', password: PASSWORD },
      }),
      notFound: await server.app.inject({ method: 'GET', url: '/nope' }),
      openapi: await server.app.inject({ method: 'GET', url: '/openapi.json' }),
      unauthenticated: await server.app.inject({ method: 'GET', url: '/users/me' }),
    };
    assert.equal(responses.refused.statusCode, 403);
    for (const [what, response] of Object.entries(responses)) {
      assertHelmetHeaders(response.headers, what);
      assert.match(String(response.headers['content-type']), /json/, what);
      assert.equal(response.headers['cache-control'], 'no-store', what);
    }
  });

  test("router errors — a malformed path, an over-long parameter — answer {detail, code} with the headers, never Fastify's body or the path", async () => {
    const cases = [
      { url: '/users/%E0%A4%A', status: 400, code: 'MALFORMED_URL' },
      { url: '/nope/%ZZ', status: 400, code: 'MALFORMED_URL' },
      { url: `/users/${'1'.repeat(200)}`, status: 414, code: 'URL_TOO_LONG' },
    ];
    for (const { url, status, code } of cases) {
      const response = await server.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, status, url);
      assert.deepEqual(Object.keys(response.json()), ['detail', 'code'], url);
      assert.equal(response.json().code, code, url);
      assert.ok(!response.body.includes('FST_ERR') && !response.body.includes(url.slice(7, 20)), `${url}: no framework code, no path`);
      assertHelmetHeaders(response.headers, url);
      assert.match(String(response.headers['content-type']), /^application\/json/, url);
      assert.equal(response.headers['cache-control'], 'no-store', url);
    }
  });

  test('the CSP lets the page load its own script and style only, and never upgrades to HTTPS by itself', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/' });
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|upgrade-insecure-requests/);
  });

  test('GET / is the web page, with the configured CSRF cookie name filled in', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /<meta name="csrf-cookie" content="xsrf">/);
    assert.match(response.body, /<script type="module" src="web\/app.js"><\/script>/);
    const script = await server.app.inject({ method: 'GET', url: '/web/app.js' });
    assert.equal(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
    const missing = await server.app.inject({ method: 'GET', url: '/web/other.js' });
    assert.equal(missing.statusCode, 404);
  });

  test('/docs keeps working: Swagger UI sends its own CSP (staticCSP) and its assets are served', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(response.statusCode, 200);
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /validator\.swagger\.io/, "Swagger UI's own policy, not the page's");
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    const bundle = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
  });

  test('the CSRF cookie takes its configured name', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/health' });
    assert.ok(setCookies(response).has('xsrf'));
  });
});

describe('__Host- cookie names', () => {
  test('are refused at start without secure cookies, naming the variable', async () => {
    await assert.rejects(startServer({ AUTH_COOKIE_NAME: '__Host-token', COOKIE_SECURE: 'false' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.key, 'AUTH_COOKIE_NAME');
      return true;
    });
    await assert.rejects(startServer({ CSRF_COOKIE_NAME: '__Host-csrftoken', COOKIE_SECURE: 'false' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.key, 'CSRF_COOKIE_NAME');
      return true;
    });
  });

  test('are honoured with secure cookies: Secure, Path=/, no Domain', async () => {
    const server = await startServer({ AUTH_COOKIE_NAME: '__Host-token', CSRF_COOKIE_NAME: '__Host-csrftoken' });
    try {
      await register(server.app, 'host@example.com');
      const login = await server.app.inject({ method: 'POST', url: '/login', ...form({ email: 'host@example.com', password: PASSWORD }) });
      assert.equal(login.statusCode, 204);
      const cookies = setCookies(login);
      assert.deepEqual([...cookies.keys()].sort(), ['__Host-csrftoken', '__Host-token']);
      for (const cookie of cookies.values()) {
        assert.match(cookie.raw, /; Path=\/;/);
        assert.match(cookie.raw, /; Secure/);
        assert.doesNotMatch(cookie.raw, /Domain/i);
      }
    } finally {
      await server.close();
    }
  });
});

describe('security headers on our OAuth provider’s answers (written by the engine, past our hooks)', () => {
  let server: { app: FastifyInstance; close: () => Promise<void> };
  before(async () => {
    server = await startServer({ OAUTH_SERVER: 'on', PUBLIC_URL: 'http://127.0.0.1:3000' });
  });
  after(async () => server?.close());

  // The page policy is the engine's pages' own (and none on its form_post answer, which posts to the client).
  const HELMET = ['strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];
  const missing = (headers: Record<string, unknown>) => HELMET.filter((name) => headers[name] === undefined);

  test('the discovery document and the JWKS carry the set, from the engine and from the kept copy alike', async () => {
    for (const url of ['/.well-known/openid-configuration', '/oauth2/jwks']) {
      for (const round of ['the engine', 'the kept copy']) {
        const response = await server.app.inject({ url });
        assert.equal(response.statusCode, 200, `${url} from ${round}`);
        assert.deepEqual(missing(response.headers), [], `${url} from ${round}`);
        assert.equal(response.headers['x-content-type-options'], 'nosniff');
      }
    }
  });

  test('a token endpoint error carries the set and keeps the engine’s own no-store', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      payload: 'grant_type=password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.statusCode >= 400 && response.statusCode < 500, true, `status ${response.statusCode}`);
    assert.deepEqual(missing(response.headers), []);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  test('the engine’s error page keeps its own page policy', async () => {
    const response = await server.app.inject({ url: '/oauth2/authorize?client_id=nobody&response_type=code&scope=openid' });
    assert.equal(response.statusCode, 400);
    assert.match(String(response.headers['content-type']), /text\/html/);
    assert.deepEqual(missing(response.headers), []);
    assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
  });
});
