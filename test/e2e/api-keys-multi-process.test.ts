import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../support/constants.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { type ServerProcess, startServer } from '../support/processes.js';
import { deleteKeys, uniqueKeyPrefix } from '../support/redis.js';
import { registerAndLogin } from '../support/requests.js';
import { postgres, redis } from '../support/services.js';
import { refusedWithin } from '../support/session-cache.js';
import { tempDir } from '../support/temp.js';

// An API key revoked on one server process is refused by another within a second, though the
// other had it in memory (docs/api-keys.md, docs/session-cache.md): on one SQLite file (SQLite's
// change counter) and on PostgreSQL with Redis (the instances' own notices on Redis pub/sub).

const withKey = (url: string, key: string) => fetch(`${url}/users/me`, { headers: { 'x-api-key': key } });

async function makeKey(url: string, token: string): Promise<{ id: number; key: string }> {
  const response = await fetch(`${url}/users/me/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'deploy', user_id: 1 }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as { id: number; key: string };
}

/** Makes a key on A, uses it on B twice (B caches it), revokes it on A, and waits for B to refuse it. */
async function revokedOnAIsRefusedByB(a: ServerProcess, b: ServerProcess, email: string): Promise<number> {
  const token = await registerAndLogin(a.url, email, PASSWORD);
  const { id, key } = await makeKey(a.url, token);
  for (let i = 0; i < 2; i += 1) {
    const me = await withKey(b.url, key);
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { email: string }).email, email);
  }
  const since = performance.now();
  const revoked = await fetch(`${a.url}/users/me/api-keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  assert.equal(revoked.status, 204);
  assert.equal((await withKey(a.url, key)).status, 401, 'refused at once where it was revoked');
  return refusedWithin(async () => (await withKey(b.url, key)).status, since);
}

describe('an API key revoked by one process is refused by another on the same SQLite file within 1 s', () => {
  const dir = tempDir();
  let a: ServerProcess;
  let b: ServerProcess;
  before(async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}` };
    a = await startServer(env);
    b = await startServer(env);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    dir.cleanup();
  });

  test('revoked on A, refused by B', async () => {
    const took = await revokedOnAIsRefusedByB(a, b, 'sqlite-key@example.com');
    assert.ok(took < 1000, `${took} ms`);
  });
});

const pg = postgres();
const redisService = redis();

describe('an API key revoked by one process is refused by another on PostgreSQL with Redis within 1 s', { skip: pg.skip || redisService.skip }, () => {
  let database: FreshDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  const prefix = uniqueKeyPrefix('keys');
  before(async () => {
    database = await freshDatabase(pg.value!, 'keys');
    const env = { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '4', REDIS_URL: redisService.value!, REDIS_KEY_PREFIX: prefix };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
    if (redisService.value) await deleteKeys(redisService.value, prefix);
  });

  test('revoked on A, refused by B', async () => {
    const took = await revokedOnAIsRefusedByB(a, b, 'pg-key@example.com');
    assert.ok(took < 1000, `${took} ms`);
  });
});
