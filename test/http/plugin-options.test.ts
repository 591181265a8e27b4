import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/core/errors.js';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { buildServer, readConfig } from '../../src/server.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { auth, bearerToken, register } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

const GITHUB = { name: 'github', preset: 'github' as const, clientId: 'id', clientSecret: 'secret' };

describe('plugin options: every one checked before any side effect', () => {
  const dir = tempDir();
  const apps: FastifyInstance[] = [];
  after(async () => {
    for (const app of apps) await app.close();
    dir.cleanup();
  });

  /** Registers the plugin on a SQLite file named after `label`; the app is closed after the suite. */
  async function registerOn(label: string, options: Partial<FastifyUsersOptions>): Promise<{ app: FastifyInstance; file: string }> {
    const file = join(dir.path, `${label}.db`);
    const app = Fastify({ logger: false });
    apps.push(app);
    await app.register(fastifyUsers, { databaseUrl: `sqlite:${file}`, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, ...options });
    await app.ready();
    return { app, file };
  }

  const badOptions: [string, Partial<FastifyUsersOptions>, string][] = [
    ['cors', { corsOrigins: ['not an origin'] }, 'corsOrigins'],
    ['failure-page', { oauthFailurePage: 'https://evil.example/' }, 'oauthFailurePage'],
    ['scope', { browserProtections: 'some-routes' as never }, 'browserProtections'],
    ['purge', { purgeIntervalSeconds: -1 }, 'purgeIntervalSeconds'],
    ['prefix', { routePrefix: 'auth/' }, 'routePrefix'],
    ['reset-lifetime', { resetPasswordTokenLifetime: 0 }, 'resetPasswordTokenLifetime'],
    ['providers', { oauthProviders: [GITHUB] }, 'publicUrl'],
    ['weak-argon2', { argon2: { memoryCost: 4096 }, unsafeArgon2ForTests: false }, 'argon2.memoryCost'],
    ['no-secret', { secretKey: undefined }, 'secretKey'],
    ['decorator', { decoratorName: 'not a name' }, 'decoratorName'],
  ];
  for (const [label, options, key] of badOptions) {
    test(`a bad ${key} is a ConfigError naming it, and no SQLite file is created`, async () => {
      const file = join(dir.path, `${label}.db`);
      await assert.rejects(registerOn(label, options), (error: unknown) => error instanceof ConfigError && error.key === key);
      assert.equal(existsSync(file), false, `${file} was created before the options were checked`);
    });
  }

  test("argon2 below OWASP's minimum is refused in library mode (memory, then memory × time), and accepted with unsafeArgon2ForTests", async () => {
    await assert.rejects(registerOn('m-low', { argon2: { memoryCost: 7167, timeCost: 5 }, unsafeArgon2ForTests: undefined }), { key: 'argon2.memoryCost' });
    await assert.rejects(registerOn('t-low', { argon2: { memoryCost: 19456, timeCost: 1 }, unsafeArgon2ForTests: undefined }), { key: 'argon2.timeCost' });
    // OWASP's rows: m=47104/t=1 and m=7168/t=5 are both fine.
    await registerOn('owasp-1', { argon2: { memoryCost: 47104, timeCost: 1 }, unsafeArgon2ForTests: undefined });
    await registerOn('owasp-5', { argon2: { memoryCost: 7168, timeCost: 5 }, unsafeArgon2ForTests: undefined });
    await registerOn('tests', { argon2: { memoryCost: 256, timeCost: 1 }, unsafeArgon2ForTests: true });
  });

  test('secretKey is required while TOTP is on, and with identity providers even when it is off', async () => {
    await assert.rejects(
      registerOn('totp-on', { secretKey: undefined }),
      (error: unknown) => error instanceof ConfigError && error.key === 'secretKey' && /totp: false/.test(error.message),
    );
    await assert.rejects(
      registerOn('providers', { secretKey: undefined, totp: false, oauthProviders: [GITHUB], publicUrl: 'https://auth.example.test' }),
      (error: unknown) => error instanceof ConfigError && error.key === 'secretKey' && /oauthProviders/.test(error.message),
    );
  });

  test('totp: false runs without secretKey and without the TOTP routes', async () => {
    const { app } = await registerOn('totp-off', { secretKey: undefined, totp: false });
    await register(app, 'nototp@example.com');
    const token = await bearerToken(app, 'nototp@example.com', PASSWORD);
    assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers: auth(token) })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/users/me/totp', headers: auth(token) })).statusCode, 404);
    await assert.rejects(registerOn('totp-bad', { totp: 'no' as never }), { key: 'totp' });
  });

  test('the server too checks every option before it opens the database: a bad one names its variable and creates no file', async () => {
    const file = join(dir.path, 'server-bad.db');
    await assert.rejects(
      buildServer(readConfig({ DATABASE_URL: `sqlite:${file}`, SECRET_KEY: TEST_SECRET, CORS_ORIGINS: 'not-an-origin' }), { logger: false }),
      { key: 'CORS_ORIGINS' },
    );
    assert.equal(existsSync(file), false);
  });

  test('the server in development (no SECRET_KEY) warns that TOTP secrets will not survive a restart', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logStream = { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) };
    const app = await buildServer(readConfig({ DATABASE_URL: `sqlite:${join(dir.path, 'server.db')}` }), { logStream });
    apps.push(app);
    const warning = lines.find((line) => line.msg.startsWith('SECRET_KEY is not set'));
    assert.equal(warning?.level, 40);
    assert.match(warning!.msg, /TOTP secrets .* will not survive a restart/);
  });
});
