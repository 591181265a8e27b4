import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { frameworkErrors, notFoundHandler } from '../../src/index.js';
import { fastifyUsers } from '../../src/http/plugin.js';
import { connect } from 'node:net';
import { buildServer, readConfig } from '../../src/server.js';
import { FAST_ARGON2, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

/** A host app as README "As a library" shows it: the plugin under /auth, the host's own routes beside it. */
async function hostApp(options: { frameworkErrors?: typeof frameworkErrors } = {}): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const dir = tempDir();
  const app = Fastify({ logger: false, ...options });
  await app.register(fastifyUsers, {
    routePrefix: '/auth',
    databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
    secretKey: TEST_SECRET,
    argon2: FAST_ARGON2,
    unsafeArgon2ForTests: true,
  });
  app.get('/hello/:name', async () => ({ hello: 'world' }));
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}

function assertOurError(
  response: { statusCode: number; body: string; headers: Record<string, unknown>; json(): { code: string } },
  status: number,
  code: string,
): void {
  assert.equal(response.statusCode, status);
  assert.deepEqual(Object.keys(JSON.parse(response.body)), ['detail', 'code']);
  assert.equal(response.json().code, code);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.ok(!response.body.includes('FST_ERR'));
}

describe('framework errors in library mode', () => {
  let host: { app: FastifyInstance; close: () => Promise<void> };
  before(async () => {
    host = await hostApp({ frameworkErrors });
  });
  after(async () => host.close());

  test('with `frameworkErrors` passed, a malformed or over-long path under the plugin answers in its format', async () => {
    assertOurError(await host.app.inject({ method: 'GET', url: '/auth/users/%E0%A4%A' }), 400, 'MALFORMED_URL');
    assertOurError(await host.app.inject({ method: 'GET', url: `/auth/users/${'9'.repeat(150)}` }), 414, 'URL_TOO_LONG');
  });

  test('an unknown path under the plugin prefix is its 404; the host keeps its own 404 elsewhere', async () => {
    const ours = await host.app.inject({ method: 'GET', url: '/auth/nope' });
    assertOurError(ours, 404, 'NOT_FOUND');
    assert.ok(!ours.body.includes('/auth/nope'), 'the path is not echoed');
    const theirs = await host.app.inject({ method: 'GET', url: '/elsewhere' });
    assert.equal(theirs.statusCode, 404);
    assert.equal(theirs.json().error, 'Not Found', "Fastify's default, the host's choice");
  });

  test('notFoundHandler gives a host root the same 404', async () => {
    const app = Fastify({ logger: false });
    app.setNotFoundHandler(notFoundHandler);
    await app.ready();
    assertOurError(await app.inject({ method: 'GET', url: '/nope' }), 404, 'NOT_FOUND');
    await app.close();
  });
});

/** Writes raw bytes to a listening server and returns everything it answers before closing. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe("what Node's HTTP parser refuses, on a listening server", () => {
  let app: FastifyInstance;
  let port: number;
  let dir: ReturnType<typeof tempDir>;
  before(async () => {
    dir = tempDir();
    const config = readConfig({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    app = await buildServer(config, { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    await app.close();
    dir.cleanup();
  });

  const cases = [
    { what: 'bytes that are not HTTP', bytes: 'NOT HTTP AT ALL\r\n\r\n', status: 400, code: 'MALFORMED_REQUEST' },
    {
      what: 'headers over the size limit',
      bytes: `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      status: 431,
      code: 'HEADERS_TOO_LARGE',
    },
  ];
  for (const { what, bytes, status, code } of cases) {
    test(`${what}: ${status} {detail, code: ${code}} with the security headers`, async () => {
      const answer = await rawExchange(port, bytes);
      const [head, body] = answer.split('\r\n\r\n');
      assert.match(head!, new RegExp(`^HTTP/1.1 ${status} `));
      assert.deepEqual(Object.keys(JSON.parse(body!)), ['detail', 'code']);
      assert.equal(JSON.parse(body!).code, code);
      for (const header of [
        'cache-control: no-store',
        'x-content-type-options: nosniff',
        'strict-transport-security: max-age=31536000; includeSubDomains',
        'content-type: application/json',
      ]) {
        assert.ok(head!.toLowerCase().includes(header.toLowerCase()), `${header} in\n${head}`);
      }
    });
  }
});
