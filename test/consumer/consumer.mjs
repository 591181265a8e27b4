// A user's ES module app on the installed tarball (scripts/ci-package.sh installs it into an
// empty folder): the plugin in a host app with a guarded host route, register and log in through
// it, and the `fastify-users/server` entry. Plain JavaScript, run by plain `node`: no tsx.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { AuthError, fastifyUsers } from 'fastify-users';
import { buildServer, readConfig } from 'fastify-users/server';

const dir = mkdtempSync(join(tmpdir(), 'fastify-users-consumer-'));
const secretKey = 'consumer-secret-key-that-is-long-enough-0123456789';
const argon2 = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const email = 'consumer@example.com';
const password = 'correct horse battery staple';

try {
  const app = Fastify({ logger: false });
  await app.register(fastifyUsers, { databaseUrl: `sqlite:${join(dir, 'app.db')}`, secretKey, argon2, unsafeArgon2ForTests: true, routePrefix: '/auth' });
  app.get('/host/secret', { preHandler: app.authenticate }, async (request) => ({ email: request.user.email }));
  await app.ready();

  const anonymous = await app.inject({ method: 'GET', url: '/host/secret' });
  assert.equal(anonymous.statusCode, 401);
  assert.equal(anonymous.json().code, 'NOT_AUTHENTICATED');

  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password } });
  assert.equal(registered.statusCode, 201, registered.body);
  const login = await app.inject({
    method: 'POST',
    url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: email, password }).toString(),
  });
  assert.equal(login.statusCode, 200, login.body);
  const guarded = await app.inject({ method: 'GET', url: '/host/secret', headers: { authorization: `Bearer ${login.json().access_token}` } });
  assert.equal(guarded.statusCode, 200, guarded.body);
  assert.deepEqual(guarded.json(), { email });
  assert.ok(new AuthError('NOT_FOUND') instanceof Error);
  await app.close();

  // The standalone service's builder, without the optional peer dependencies installed: SQLite
  // works, /docs is off (a warning names the packages to install).
  const server = await buildServer(readConfig({ NODE_ENV: 'test', SECRET_KEY: secretKey, DATABASE_URL: `sqlite:${join(dir, 'server.db')}` }), {
    logger: false,
  });
  assert.equal((await server.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  assert.equal((await server.inject({ method: 'GET', url: '/' })).statusCode, 200, 'the built web page ships in the package');
  assert.equal((await server.inject({ method: 'GET', url: '/docs' })).statusCode, 404);
  await server.close();
  // Each optional peer, asked for but not installed, is named in the error.
  const missing = {
    DATABASE_URL: ['postgres://nobody@127.0.0.1:1/none', 'postgres://', 'pg'],
    REDIS_URL: ['redis://127.0.0.1:1', 'redis://', 'ioredis'],
    SMTP_URL: ['smtp://127.0.0.1:1', 'smtp://', 'nodemailer'],
  };
  for (const [variable, [value, scheme, name]] of Object.entries(missing)) {
    const environment = { NODE_ENV: 'test', SECRET_KEY: secretKey, DATABASE_URL: `sqlite:${join(dir, 'server.db')}`, [variable]: value };
    await assert.rejects(buildServer(readConfig(environment), { logger: false }), {
      message: `${variable}: ${scheme} needs the optional package "${name}": npm install ${name}`,
    });
  }
  console.log('== ESM consumer: register, login, guarded host route, the server entry, the missing-package messages: ok');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
