import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { auth, bearerToken, userWithToken } from '../support/requests.js';

describe('superuser administration', () => {
  let t: TestApp;
  let admin: string;
  let alice: string;
  let aliceId: number;
  before(async () => {
    t = await buildTestApp();
    await t.app.fastifyUsers.auth.register('root@example.com', PASSWORD, { isSuperuser: true });
    admin = await bearerToken(t.app, 'root@example.com');
    alice = await userWithToken(t.app, 'alice@example.com');
    aliceId = (await t.store.findUserByEmail('alice@example.com'))!.id;
    await userWithToken(t.app, 'bob@example.com');
  });
  after(async () => t.close());

  test('every admin route is 403 FORBIDDEN for a plain user and 401 without a token', async () => {
    const routes = [
      ['GET', '/users'],
      ['GET', `/users/${aliceId}`],
      ['PATCH', `/users/${aliceId}`],
      ['DELETE', `/users/${aliceId}`],
    ] as const;
    for (const [method, url] of routes) {
      const forbidden = await t.app.inject({ method, url, headers: auth(alice), payload: method === 'PATCH' ? { is_superuser: true } : undefined });
      assert.equal(forbidden.statusCode, 403, `${method} ${url}`);
      assert.deepEqual(forbidden.json(), { detail: 'Not enough privileges', code: 'FORBIDDEN' });
      assert.equal((await t.app.inject({ method, url })).statusCode, 401, `${method} ${url}`);
    }
    assert.equal((await t.store.findUserById(aliceId))!.isSuperuser, false);
  });

  test('GET /users pages by offset and limit', async () => {
    const all = await t.app.inject({ method: 'GET', url: '/users', headers: auth(admin) });
    assert.equal(all.statusCode, 200);
    assert.deepEqual(
      all.json().map((u: { email: string }) => u.email),
      ['root@example.com', 'alice@example.com', 'bob@example.com'],
    );
    assert.ok(!all.body.includes('hashed_password') && !all.body.includes('$argon2'));
    const page = await t.app.inject({ method: 'GET', url: '/users?offset=1&limit=1', headers: auth(admin) });
    assert.deepEqual(
      page.json().map((u: { email: string }) => u.email),
      ['alice@example.com'],
    );
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc']) {
      assert.equal((await t.app.inject({ method: 'GET', url: `/users?${query}`, headers: auth(admin) })).statusCode, 422, query);
    }
  });

  test('GET /users/{id}: 200, 404 USER_NOT_FOUND, 422 for a non-number', async () => {
    const found = await t.app.inject({ method: 'GET', url: `/users/${aliceId}`, headers: auth(admin) });
    assert.equal(found.statusCode, 200);
    assert.equal(found.json().email, 'alice@example.com');
    const missing = await t.app.inject({ method: 'GET', url: '/users/999999', headers: auth(admin) });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: 'User not found', code: 'USER_NOT_FOUND' });
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/abc', headers: auth(admin) })).statusCode, 422);
  });

  test('PATCH /users/{id} sets is_verified and is_superuser; conflicts and bad passwords are 400; unknown id 404', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/users/${aliceId}`,
      headers: auth(admin),
      payload: { is_verified: true, is_superuser: true },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().is_verified, true);
    assert.equal(response.json().is_superuser, true);
    const demoted = await t.app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: auth(admin), payload: { is_superuser: false } });
    assert.equal(demoted.json().is_superuser, false);
    const taken = await t.app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: auth(admin), payload: { email: 'bob@example.com' } });
    assert.equal(taken.json().code, 'UPDATE_USER_EMAIL_ALREADY_EXISTS');
    const weak = await t.app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: auth(admin), payload: { password: 'weak' } });
    assert.equal(weak.json().code, 'UPDATE_USER_INVALID_PASSWORD');
    const missing = await t.app.inject({ method: 'PATCH', url: '/users/999999', headers: auth(admin), payload: { is_active: false } });
    assert.equal(missing.statusCode, 404);
    const wrongType = await t.app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: auth(admin), payload: { is_active: 'no' } });
    assert.equal(wrongType.statusCode, 422);
  });

  test('deactivation: the user is 401 at once on every session, and cannot log in', async () => {
    const second = await bearerToken(t.app, 'alice@example.com');
    const response = await t.app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: auth(admin), payload: { is_active: false } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().is_active, false);
    for (const token of [alice, second]) {
      assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(token) })).statusCode, 401);
    }
    await assert.rejects(bearerToken(t.app, 'alice@example.com'));
    assert.deepEqual(await t.store.listUserTokens(aliceId, new Date()), [], 'tokens revoked, not only refused');
  });

  test("a deactivated user's token is refused even before any revocation (is_active is checked on every request)", async () => {
    const bobToken = await bearerToken(t.app, 'bob@example.com');
    const bob = (await t.store.findUserByEmail('bob@example.com'))!;
    await t.store.updateUser(bob.id, { isActive: false }, new Date());
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(bobToken) })).statusCode, 401);
    await t.store.updateUser(bob.id, { isActive: true }, new Date());
  });

  test('reactivation and a new password set by the superuser work', async () => {
    const newPassword = 'set by the administrator today';
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/users/${aliceId}`,
      headers: auth(admin),
      payload: { is_active: true, password: newPassword },
    });
    assert.equal(response.statusCode, 200);
    await bearerToken(t.app, 'alice@example.com', newPassword);
  });

  test('DELETE /users/{id}: 204, then 404; the user and their tokens are gone', async () => {
    const bobToken = await bearerToken(t.app, 'bob@example.com');
    const bob = (await t.store.findUserByEmail('bob@example.com'))!;
    const response = await t.app.inject({ method: 'DELETE', url: `/users/${bob.id}`, headers: auth(admin) });
    assert.equal(response.statusCode, 204);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(bobToken) })).statusCode, 401);
    const again = await t.app.inject({ method: 'DELETE', url: `/users/${bob.id}`, headers: auth(admin) });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().code, 'USER_NOT_FOUND');
  });

  test('/users/me is not shadowed by /users/{id}', async () => {
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(admin) });
    assert.equal(me.json().email, 'root@example.com');
  });
});
