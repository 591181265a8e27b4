import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../src/core/errors.js';
import { buildServer, readConfig } from '../src/server.js';
import { TEST_SECRET } from './support/constants.js';
import { tempDir } from './support/temp.js';

describe('buildServer: OpenAPI, docs and the JSON 404', () => {
  let app: FastifyInstance;
  const dir = tempDir();
  before(async () => {
    app = await buildServer(readConfig({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET }), { logger: false });
  });
  after(async () => {
    await app.close();
    dir.cleanup();
  });

  test('/openapi.json is OpenAPI 3 with an oauth2 password flow whose tokenUrl is /token', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const spec = response.json();
    assert.match(spec.openapi, /^3\./);
    const schemes = Object.values(spec.components.securitySchemes) as { type: string; flows: { password?: { tokenUrl: string } } }[];
    assert.ok(schemes.some((s) => s.type === 'oauth2' && s.flows.password?.tokenUrl === '/token'));
  });

  test('/openapi.json lists the routes; /token takes a form; protected routes name the oauth2 scheme', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, method] of [
      ['/register', 'post'],
      ['/token', 'post'],
      ['/login', 'post'],
      ['/logout', 'post'],
      ['/users/me', 'get'],
      ['/protected-route', 'get'],
      ['/health', 'get'],
    ] as const) {
      assert.ok(spec.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
    }
    assert.ok(spec.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded']);
    assert.ok(spec.paths['/register'].post.requestBody.content['application/json']);
    const schemeName = Object.keys(spec.components.securitySchemes)[0];
    assert.deepEqual(spec.paths['/logout'].post.security, [{ [schemeName!]: [] }]);
    // The reads an API key may make also take one in X-API-Key (either scheme alone suffices: two entries, not one).
    for (const path of ['/users/me', '/protected-route']) {
      assert.deepEqual(spec.paths[path].get.security, [{ [schemeName!]: [] }, { APIKeyHeader: [] }], path);
    }
    assert.equal(spec.components.securitySchemes.APIKeyHeader.in, 'header');
    assert.equal(spec.components.securitySchemes.APIKeyHeader.name, 'X-API-Key');
    assert.ok(!spec.paths['/openapi.json'], 'the spec route itself is hidden');
  });

  test('/docs serves the Swagger UI page and its assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /swagger-ui/i);
    const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    assert.equal(initializer.statusCode, 200);
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(bundle.statusCode, 200);
  });

  test('the request Swagger UI\'s "Authorize" makes (password flow, form body, scope=) gets a token', async () => {
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'docs@example.com', password: 'correct horse battery staple' } });
    const response = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json, text/plain, */*', 'x-requested-with': 'XMLHttpRequest' },
      payload: 'grant_type=password&username=docs%40example.com&password=correct%20horse%20battery%20staple&scope=',
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().token_type, 'bearer');
  });

  test('an unknown route is a JSON 404 {detail, code}', async () => {
    const response = await app.inject({ method: 'GET', url: '/no/such/route' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { detail: 'Not Found', code: 'NOT_FOUND' });
  });

  test('the whole flow works on the built server', async () => {
    const register = await app.inject({ method: 'POST', url: '/register', payload: { email: 'srv@example.com', password: 'correct horse battery staple' } });
    assert.equal(register.statusCode, 201);
    const token = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=srv%40example.com&password=correct+horse+battery+staple',
    });
    assert.equal(token.statusCode, 200);
    const me = await app.inject({ method: 'GET', url: '/protected-route', headers: { authorization: `Bearer ${token.json().access_token}` } });
    assert.equal(me.json().email, 'srv@example.com');
  });
});

describe('readConfig', () => {
  test('defaults as docs/configuration.md lists them: 127.0.0.1:8000, sqlite:data/auth.db, info', () => {
    const config = readConfig({});
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'sqlite:data/auth.db');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.auth.publicUrl, 'http://127.0.0.1:8000');
    assert.equal(config.mailFrom, 'no-reply@localhost');
  });

  test('variables are read and typed', () => {
    const config = readConfig({
      PORT: '9000',
      ACCESS_TOKEN_LIFETIME: '60',
      COOKIE_SECURE: 'false',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      SECRET_KEY_FALLBACKS: `${'a'.repeat(32)},${'b'.repeat(32)}`,
      PASSWORD_MIN_LENGTH: '12',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.auth.accessTokenLifetime, 60);
    assert.equal(config.auth.cookieSecure, false);
    assert.deepEqual(config.auth.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(config.auth.secretKeyFallbacks?.length, 2);
    assert.equal(config.auth.passwordMinLength, 12);
  });

  const refuses = (env: Record<string, string>, variable: string) =>
    assert.throws(
      () => readConfig(env),
      (error: unknown) => error instanceof ConfigError && error.key === variable && error.message.startsWith(`${variable}: `),
    );

  test('bad values name the variable', () => {
    refuses({ PORT: 'abc' }, 'PORT');
    refuses({ PORT: '70000' }, 'PORT');
    refuses({ ACCESS_TOKEN_LIFETIME: '1h' }, 'ACCESS_TOKEN_LIFETIME');
    refuses({ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE');
    refuses({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    refuses({ REDIS_URL: 'http://x' }, 'REDIS_URL');
    refuses({ NODE_ENV: 'production' }, 'SECRET_KEY');
    refuses({ SESSION_CACHE: 'sometimes' }, 'SESSION_CACHE');
    refuses({ SESSION_CACHE_SIZE: 'lots' }, 'SESSION_CACHE_SIZE');
  });

  test('SESSION_CACHE on by default, off with "off"; SESSION_CACHE_SIZE read', () => {
    assert.equal(readConfig({}).auth.sessionCache, undefined);
    assert.equal(readConfig({ SESSION_CACHE: 'off' }).auth.sessionCache, false);
    assert.equal(readConfig({ SESSION_CACHE: 'on' }).auth.sessionCache, true);
    assert.equal(readConfig({ SESSION_CACHE_SIZE: '500' }).auth.sessionCacheSize, 500);
  });

  test('option errors found at build time are renamed to their variable', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ SECRET_KEY: 'short' }, 'SECRET_KEY'],
      [{ ACCESS_TOKEN_LIFETIME: '0' }, 'ACCESS_TOKEN_LIFETIME'],
      [{ AUTH_COOKIE_NAME: '__Host-token', COOKIE_SECURE: 'false' }, 'AUTH_COOKIE_NAME'],
      [{ PASSWORD_MIN_LENGTH: '7' }, 'PASSWORD_MIN_LENGTH'],
      [{ CORS_ORIGINS: 'not a url' }, 'CORS_ORIGINS'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ SESSION_CACHE_SIZE: '0' }, 'SESSION_CACHE_SIZE'],
    ];
    for (const [env, variable] of cases) {
      await assert.rejects(
        buildServer(readConfig({ DATABASE_URL: 'sqlite::memory:', SECRET_KEY: TEST_SECRET, ...env }), { logger: false }),
        (error: unknown) => error instanceof ConfigError && error.key === variable,
        variable,
      );
    }
  });
});
