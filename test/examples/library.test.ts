import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../examples/library.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { cookieValue } from '../support/cookies.js';
import { form } from '../support/requests.js';
import { tempDir } from '../support/temp.js';

const BEGIN = '// README:begin\n';
const END = '// README:end';

/** The example as the README must show it: the file's body, importing the published package name. */
function exampleAsInReadme(): string {
  const file = readFileSync(new URL('../../examples/library.ts', import.meta.url), 'utf8');
  const body = file.slice(file.indexOf(BEGIN) + BEGIN.length, file.indexOf(END));
  return body.replace("from '../src/index.js'", "from 'fastify-users'");
}

describe('README "As a library" example', () => {
  test('the README snippet is exactly examples/library.ts', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split(/^## As a library$/m)[1]?.split(/^## /m)[0];
    assert.ok(section, 'README.md has an "## As a library" section');
    const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.equal(snippet, exampleAsInReadme());
  });

  describe('running the example', () => {
    let app: FastifyInstance;
    const dir = tempDir();
    before(async () => {
      app = await buildApp({ databaseUrl: `sqlite:${join(dir.path, 'app.db')}`, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true });
      await app.ready();
    });
    after(async () => {
      await app.close();
      dir.cleanup();
    });

    test('the guarded host route is 401 without a token', async () => {
      const response = await app.inject({ method: 'GET', url: '/hello' });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(response.json(), { detail: 'Not authenticated', code: 'NOT_AUTHENTICATED' });
    });

    test('register and log in under /auth, then the host route sees the typed request.user (bearer and cookie)', async () => {
      const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'lib@example.com', password: PASSWORD } });
      assert.equal(registered.statusCode, 201);
      const token = await app.inject({ method: 'POST', url: '/auth/token', ...form({ username: 'lib@example.com', password: PASSWORD }) });
      assert.equal(token.statusCode, 200);
      const hello = await app.inject({ method: 'GET', url: '/hello', headers: { authorization: `Bearer ${token.json().access_token}` } });
      assert.equal(hello.statusCode, 200);
      assert.deepEqual(hello.json(), { hello: 'lib@example.com' });

      const login = await app.inject({ method: 'POST', url: '/auth/login', ...form({ email: 'lib@example.com', password: PASSWORD }) });
      const viaCookie = await app.inject({ method: 'GET', url: '/hello', cookies: { token: cookieValue(login, 'token') } });
      assert.deepEqual(viaCookie.json(), { hello: 'lib@example.com' });
    });

    test('the plugin routes are only under the prefix; the host keeps its own 404', async () => {
      assert.equal((await app.inject({ method: 'POST', url: '/register', payload: { email: 'x@example.com', password: PASSWORD } })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: '/auth/health' })).statusCode, 200);
    });
  });
});
