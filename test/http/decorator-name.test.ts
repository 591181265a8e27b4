import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import { ConfigError } from '../../src/core/errors.js';
import type { PublicUser } from '../../src/core/user.js';
import { fastifyUsers } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { auth, bearerToken, register } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

/**
 * @fastify/jwt, loaded by a computed name so that its type declarations stay out of the one
 * program every test file is type-checked in: they declare `request.user` as the JWT payload,
 * which is this test's very point at run time, but would retype `request.user` for every test.
 */
async function loadJWT(): Promise<FastifyPluginAsync<{ secret: string }>> {
  const name = ['@fastify', 'jwt'].join('/');
  return ((await import(name)) as { default: FastifyPluginAsync<{ secret: string }> }).default;
}

describe('the request decorator name (decoratorName)', () => {
  const dir = tempDir();
  const apps: FastifyInstance[] = [];
  after(async () => {
    for (const app of apps) await app.close();
    dir.cleanup();
  });

  async function appWithJWT(): Promise<FastifyInstance> {
    const app = Fastify({ logger: false });
    apps.push(app);
    app.setErrorHandler(handleError);
    await app.register(await loadJWT(), { secret: TEST_SECRET });
    return app;
  }

  test('beside @fastify/jwt with decoratorName set, both plugins work: request.user is the JWT payload, request.account ours', async () => {
    const app = await appWithJWT();
    await app.register(fastifyUsers, {
      databaseUrl: `sqlite:${dir.path}/both.db`,
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      decoratorName: 'account',
    });
    const jwtRequest = (request: FastifyRequest) => request as unknown as { jwtVerify(): Promise<unknown>; user: unknown };
    app.get('/host/jwt', async (request) => {
      await jwtRequest(request).jwtVerify();
      return { payload: jwtRequest(request).user };
    });
    app.get('/host/ours', { preHandler: app.authenticate }, async (request) => ({
      email: (request as unknown as { account: PublicUser }).account.email,
      user: jwtRequest(request).user ?? null,
    }));
    await app.ready();

    const signed = (app as unknown as { jwt: { sign(payload: object): string } }).jwt.sign({ sub: 'api-client' });
    const jwtAnswer = await app.inject({ method: 'GET', url: '/host/jwt', headers: auth(signed) });
    assert.equal(jwtAnswer.statusCode, 200);
    assert.equal(jwtAnswer.json().payload.sub, 'api-client');

    await register(app, 'both@example.com');
    const token = await bearerToken(app, 'both@example.com', PASSWORD);
    const ours = await app.inject({ method: 'GET', url: '/host/ours', headers: auth(token) });
    assert.equal(ours.statusCode, 200);
    // Our guard fills `account` and leaves `user` (@fastify/jwt's) alone.
    assert.deepEqual(ours.json(), { email: 'both@example.com', user: null });
    // The plugin's own routes read the renamed decorator too.
    const me = await app.inject({ method: 'GET', url: '/users/me', headers: auth(token) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, 'both@example.com');
  });

  test('beside @fastify/jwt without decoratorName, registration fails with a ConfigError naming the option', async () => {
    const app = await appWithJWT();
    await assert.rejects(
      async () => {
        await app.register(fastifyUsers, {
          databaseUrl: `sqlite:${dir.path}/clash.db`,
          secretKey: TEST_SECRET,
          argon2: FAST_ARGON2,
          unsafeArgon2ForTests: true,
        });
        await app.ready();
      },
      (error: unknown) => error instanceof ConfigError && error.key === 'decoratorName' && /request\.user is already decorated/.test(error.message),
    );
  });

  test('a name that is no property name is refused', async () => {
    const app = Fastify({ logger: false });
    apps.push(app);
    await assert.rejects(
      async () => {
        await app.register(fastifyUsers, {
          databaseUrl: `sqlite:${dir.path}/bad.db`,
          secretKey: TEST_SECRET,
          argon2: FAST_ARGON2,
          unsafeArgon2ForTests: true,
          decoratorName: 'my user',
        });
        await app.ready();
      },
      (error: unknown) => error instanceof ConfigError && error.key === 'decoratorName',
    );
  });
});
