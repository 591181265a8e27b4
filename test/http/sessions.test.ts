import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LAST_USED_RESOLUTION_MS } from '../../src/core/auth-service.js';
import { digestToken } from '../../src/core/token.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { auth, form, userWithToken } from '../support/requests.js';

describe('sessions list and revocation', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  async function login(email: string, userAgent: string): Promise<string> {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      ...form({ username: email, password: PASSWORD }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': userAgent },
    });
    return response.json().access_token;
  }

  function list(token: string) {
    return t.app.inject({ method: 'GET', url: '/users/me/sessions', headers: auth(token) });
  }

  test('lists the unexpired sessions with the current one marked; ids are neither tokens nor digests', async () => {
    await userWithToken(t.app, 'alice@example.com');
    const laptop = await login('alice@example.com', 'Laptop/1.0');
    const phone = await login('alice@example.com', 'Phone/2.0');
    const response = await list(laptop);
    assert.equal(response.statusCode, 200);
    const sessions = response.json() as Array<Record<string, unknown>>;
    assert.equal(sessions.length, 3);
    for (const s of sessions) {
      assert.deepEqual(Object.keys(s).sort(), ['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent']);
      for (const secret of [laptop, phone, digestToken(laptop), digestToken(phone)]) assert.ok(!response.body.includes(secret));
      assert.ok(!Number.isNaN(Date.parse(String(s.created_at))));
    }
    const current = sessions.filter((s) => s.current);
    assert.equal(current.length, 1);
    assert.equal(current[0]!.user_agent, 'Laptop/1.0');
    assert.equal(current[0]!.ip, '127.0.0.1');
    assert.ok(sessions.some((s) => s.user_agent === 'Phone/2.0' && s.current === false));
  });

  test('DELETE /users/me/sessions/{id} ends that session only; unknown ids are 404', async () => {
    const laptop = await login('alice@example.com', 'Laptop/1.0');
    const phone = await login('alice@example.com', 'Phone/3.0');
    const phoneId = ((await list(laptop)).json() as Array<{ id: string; user_agent: string }>).find((s) => s.user_agent === 'Phone/3.0')!.id;
    const response = await t.app.inject({ method: 'DELETE', url: `/users/me/sessions/${phoneId}`, headers: auth(laptop) });
    assert.equal(response.statusCode, 204);
    assert.equal((await list(phone)).statusCode, 401);
    assert.equal((await list(laptop)).statusCode, 200);

    const again = await t.app.inject({ method: 'DELETE', url: `/users/me/sessions/${phoneId}`, headers: auth(laptop) });
    assert.equal(again.statusCode, 404);
    assert.deepEqual(again.json(), { detail: 'Session not found', code: 'SESSION_NOT_FOUND' });
    const nonsense = await t.app.inject({ method: 'DELETE', url: '/users/me/sessions/nonsense', headers: auth(laptop) });
    assert.equal(nonsense.statusCode, 404);
  });

  test("another user's session id is 404 and that session survives", async () => {
    const bob = await userWithToken(t.app, 'bob@example.com');
    const alice = await login('alice@example.com', 'Laptop/1.0');
    const bobId = ((await list(bob)).json() as Array<{ id: string }>)[0]!.id;
    const response = await t.app.inject({ method: 'DELETE', url: `/users/me/sessions/${bobId}`, headers: auth(alice) });
    assert.equal(response.statusCode, 404);
    assert.equal((await list(bob)).statusCode, 200);
  });

  test('DELETE /users/me/sessions ends every other session and keeps this one', async () => {
    const keep = await login('alice@example.com', 'Keep/1.0');
    const others = [await login('alice@example.com', 'Other/1.0'), await login('alice@example.com', 'Other/2.0')];
    const response = await t.app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: auth(keep) });
    assert.equal(response.statusCode, 204);
    for (const token of others) assert.equal((await list(token)).statusCode, 401);
    const remaining = (await list(keep)).json() as Array<{ current: boolean }>;
    assert.equal(remaining.length, 1);
    assert.equal(remaining[0]!.current, true);
  });

  test('ending the current session by id is a logout', async () => {
    const token = await login('alice@example.com', 'Self/1.0');
    const id = ((await list(token)).json() as Array<{ id: string; current: boolean }>).find((s) => s.current)!.id;
    const response = await t.app.inject({ method: 'DELETE', url: `/users/me/sessions/${id}`, headers: auth(token) });
    assert.equal(response.statusCode, 204);
    assert.equal((await list(token)).statusCode, 401);
  });

  test('every sessions route needs authentication', async () => {
    for (const [method, url] of [
      ['GET', '/users/me/sessions'],
      ['DELETE', '/users/me/sessions'],
      ['DELETE', '/users/me/sessions/abc'],
    ] as const) {
      const response = await t.app.inject({ method, url });
      assert.equal(response.statusCode, 401, `${method} ${url}`);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
    }
  });
});

describe('last_used_at bookkeeping', () => {
  let t: TestApp;
  let now = Date.parse('2026-03-01T12:00:00.000Z');
  before(async () => {
    t = await buildTestApp({ now: () => new Date(now) });
  });
  after(async () => t.close());

  /** The current session's `last_used_at`, read back until the background write has landed or `expected` is seen. */
  async function lastUsed(token: string, expected: string): Promise<string> {
    let seen = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      const sessions = (await t.app.inject({ method: 'GET', url: '/users/me/sessions', headers: auth(token) })).json() as Array<{
        current: boolean;
        last_used_at: string;
      }>;
      seen = sessions.find((s) => s.current)!.last_used_at;
      if (seen === expected) return seen;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return seen;
  }

  test(`is written at most every ${LAST_USED_RESOLUTION_MS / 60_000} minutes of use, then to the time of the request`, async () => {
    const issuedAt = new Date(now).toISOString();
    const token = await userWithToken(t.app, 'clock@example.com');
    now += LAST_USED_RESOLUTION_MS - 1000; // still within the resolution: no write
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(token) })).statusCode, 200);
    assert.equal(await lastUsed(token, 'never'), issuedAt);
    now += 2000; // past it: this request records its time
    const usedAt = new Date(now).toISOString();
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(token) })).statusCode, 200);
    assert.equal(await lastUsed(token, usedAt), usedAt);
  });
});
