import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { generateToken } from '../../src/core/token.js';
import { PASSWORD } from '../support/constants.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { type ServerProcess, startServer } from '../support/processes.js';
import { login, registerAndLogin } from '../support/requests.js';
import { postgres } from '../support/services.js';

const pg = postgres();

/** Words that would reveal the driver, the database or a query to a client. */
const LEAKS = /\bpg\b|postgres|ECONN|SQL|select|terminat|connection|database|stack/i;

describe('losing PostgreSQL: 503 with Retry-After, then recovery without restart', { skip: pg.skip }, () => {
  let database: FreshDatabase;
  let server: ServerProcess;
  let token: string;
  const email = 'loss@example.com';

  before(async () => {
    database = await freshDatabase(pg.value!, 'loss');
    server = await startServer({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4' });
    token = await registerAndLogin(server.url, email, PASSWORD);
  });
  after(async () => {
    await server?.stop();
    await database?.drop();
  });

  const requests = () => ({
    'GET /users/me': () => fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } }),
    'POST /token': () =>
      fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: email, password: PASSWORD }).toString(),
      }),
    'POST /register': () =>
      fetch(`${server.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `new-${Date.now()}@example.com`, password: PASSWORD }),
      }),
    'GET /health': () => fetch(`${server.url}/health`),
  });

  test('with the database cut off, every database route answers a generic 503', async () => {
    await database.admin.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
    await database.admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);

    for (const [name, request] of Object.entries(requests())) {
      const response = await request();
      const body = await response.text();
      assert.equal(response.status, 503, `${name}: ${body}`);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/, `${name} has Retry-After`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const json = JSON.parse(body);
      assert.deepEqual(Object.keys(json).sort(), ['code', 'detail'], name);
      assert.equal(json.code, 'SERVICE_UNAVAILABLE', name);
      assert.doesNotMatch(json.detail, LEAKS, `${name} leaks nothing: ${body}`);
      assert.doesNotMatch(body, /ECONN|57P01|55000|at .*\.ts/, name);
    }
    // Never a credentials answer without the database: a well-formed unknown token is 503, not 401.
    const unknownToken = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${generateToken()}` } });
    assert.equal(unknownToken.status, 503);
    assert.equal(server.child.exitCode, null, 'the process is still alive');
  });

  test('once the database accepts connections again, the same process answers 200', async () => {
    await database.admin.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    let health = 0;
    for (let attempt = 0; attempt < 50 && health !== 200; attempt++) {
      health = (await fetch(`${server.url}/health`)).status;
      if (health !== 200) await sleep(200);
    }
    assert.equal(health, 200, 'health recovers');
    const me = await requests()['GET /users/me']();
    assert.equal(me.status, 200, 'the token issued before the outage still works');
    assert.equal(((await me.json()) as { email: string }).email, email);
    assert.equal((await requests()['POST /register']()).status, 201);
    assert.ok(await login(server.url, email, PASSWORD));
    assert.equal(server.child.exitCode, null);
    assert.doesNotMatch(server.output(), /"level":(50|60)/, 'outage logged as warnings, not errors');
  });
});
