import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.js';
import { resolveOAuthServer } from '../../../src/features/oauth-server/options.js';
import { buildServer, readConfig } from '../../../src/server.js';

const SECRET = 's'.repeat(40);
const ISSUER = 'https://auth.example.com';

describe('provider settings (OAUTH_SERVER*)', () => {
  test('off by default; on reads every variable, with the defaults for the rest', () => {
    assert.equal(resolveOAuthServer(readConfig({}).auth.oauthServer, ISSUER), undefined);
    const config = readConfig({
      PUBLIC_URL: ISSUER,
      OAUTH_SERVER: 'on',
      OAUTH_SERVER_SCOPES: 'notes:read, notes:write',
      OAUTH_SERVER_RESOURCES: 'https://api.example.com,https://auth.example.com',
      OAUTH_SERVER_DYNAMIC_REGISTRATION: 'on',
    });
    const resolved = resolveOAuthServer(config.auth.oauthServer, config.auth.publicUrl);
    assert.deepEqual(resolved && { ...resolved, adapter: undefined, clients: undefined }, {
      issuer: ISSUER,
      dynamicRegistration: true,
      resources: ['https://api.example.com', 'https://auth.example.com'],
      scopes: ['openid', 'profile', 'email', 'offline_access', 'notes:read', 'notes:write'],
      accessTokenLifetime: 3600,
      refreshTokenLifetime: 2592000,
      adapter: undefined,
      clients: undefined,
    });
    // The issuer is PUBLIC_URL exactly, without a trailing slash, and the default resource.
    const plain = readConfig({ PUBLIC_URL: `${ISSUER}/`, OAUTH_SERVER: 'on', NODE_ENV: 'test', SECRET_KEY: SECRET });
    assert.equal(plain.auth.oauthServer?.enabled, true);
  });

  test('OAUTH_SERVER=on without PUBLIC_URL is refused naming PUBLIC_URL (never an issuer guessed from HOST)', () => {
    assert.throws(
      () => readConfig({ OAUTH_SERVER: 'on' }),
      (error: unknown) => error instanceof ConfigError && error.key === 'PUBLIC_URL' && /issuer/.test(error.message),
    );
    assert.throws(
      () => readConfig({ OAUTH_SERVER: 'maybe', PUBLIC_URL: ISSUER }),
      (error: unknown) => error instanceof ConfigError && error.key === 'OAUTH_SERVER',
    );
  });

  test('bad values fail the start with one line naming the variable', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ OAUTH_SERVER_RESOURCES: 'not a uri' }, 'OAUTH_SERVER_RESOURCES'],
      [{ OAUTH_SERVER_RESOURCES: 'https://api.example.com/#x' }, 'OAUTH_SERVER_RESOURCES'],
      [{ OAUTH_SERVER_SCOPES: 'notes"read' }, 'OAUTH_SERVER_SCOPES'],
      [{ OAUTH_SERVER_ACCESS_TOKEN_LIFETIME: '0' }, 'OAUTH_SERVER_ACCESS_TOKEN_LIFETIME'],
      [{ OAUTH_SERVER_REFRESH_TOKEN_LIFETIME: '0' }, 'OAUTH_SERVER_REFRESH_TOKEN_LIFETIME'],
      [{ OAUTH_SERVER_DYNAMIC_REGISTRATION: 'perhaps' }, 'OAUTH_SERVER_DYNAMIC_REGISTRATION'],
    ];
    for (const [env, variable] of cases) {
      await assert.rejects(
        async () =>
          buildServer(readConfig({ DATABASE_URL: 'sqlite::memory:', SECRET_KEY: SECRET, NODE_ENV: 'test', PUBLIC_URL: ISSUER, OAUTH_SERVER: 'on', ...env }), {
            logger: false,
          }),
        (error: unknown) =>
          error instanceof ConfigError && error.key === variable && error.message.startsWith(`${variable}: `) && !error.message.includes('\n'),
        variable,
      );
    }
  });

  test('the library option without publicUrl is refused naming publicUrl', () => {
    assert.throws(
      () => resolveOAuthServer({ enabled: true }, undefined),
      (error: unknown) => error instanceof ConfigError && error.key === 'publicUrl',
    );
    assert.equal(resolveOAuthServer({ enabled: false, scopes: ['x'] }, ISSUER), undefined);
  });
});
