import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auth } from '../support/requests.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { enableTOTP } from '../support/totp.js';
import { cacheOf, me, userWithTokens, warm } from '../support/session-cache.js';
import { internalsOf } from '../support/internals.js';

const NEW_PASSWORD = 'another long passphrase for tests';

/**
 * Every write that ends or changes a session or its user, made by this instance, is honoured by
 * the very next request, although the session was being answered from memory
 * (docs/session-cache.md). Each test warms the cache first and checks that it did.
 */
describe('session cache, one instance: the next request sees every change', () => {
  let t: TestApp;
  let admin: string;
  let counter = 0;
  const fresh = () => `user${(counter += 1)}@example.com`;
  const idOf = async (token: string): Promise<number> => (await me(t.app, token)).json().id;

  before(async () => {
    t = await buildTestApp();
    admin = (await userWithTokens(t.app, 'admin@example.com', 1, { superuser: true }))[0]!;
  });
  after(async () => t.close());

  test('logout', async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    assert.equal((await t.app.inject({ method: 'POST', url: '/logout', headers: auth(token!) })).statusCode, 204);
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test('password change ends the other sessions, keeps the current one', async () => {
    const [current, other] = await userWithTokens(t.app, fresh(), 2);
    await warm(t.app, current!);
    await warm(t.app, other!);
    const response = await t.app.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: auth(current!),
      payload: { password: NEW_PASSWORD, current_password: PASSWORD },
    });
    assert.equal(response.statusCode, 200);
    assert.equal((await me(t.app, other!)).statusCode, 401);
    assert.equal((await me(t.app, current!)).statusCode, 200);
  });

  test('password reset ends every session', async () => {
    const email = fresh();
    const [token] = await userWithTokens(t.app, email, 1);
    await warm(t.app, token!);
    const mail = await t.app.fastifyUsers.accountTokens.forgotPassword(email);
    const resetToken = /token=([\w-]+)/.exec(mail!.text)![1]!;
    const response = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token: resetToken, password: NEW_PASSWORD } });
    assert.equal(response.statusCode, 200);
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test('one session revoked from the list', async () => {
    const [current, other] = await userWithTokens(t.app, fresh(), 2);
    await warm(t.app, other!);
    const list = (await t.app.inject({ method: 'GET', url: '/users/me/sessions', headers: auth(current!) })).json();
    const target = list.find((s: { current: boolean }) => !s.current);
    const response = await t.app.inject({ method: 'DELETE', url: `/users/me/sessions/${target.id}`, headers: auth(current!) });
    assert.equal(response.statusCode, 204);
    assert.equal((await me(t.app, other!)).statusCode, 401);
    assert.equal((await me(t.app, current!)).statusCode, 200);
  });

  test('all other sessions revoked', async () => {
    const [current, other1, other2] = await userWithTokens(t.app, fresh(), 3);
    await warm(t.app, other1!);
    await warm(t.app, other2!);
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: auth(current!) })).statusCode, 204);
    assert.equal((await me(t.app, other1!)).statusCode, 401);
    assert.equal((await me(t.app, other2!)).statusCode, 401);
    assert.equal((await me(t.app, current!)).statusCode, 200);
  });

  test('deactivation by a superuser', async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    const id = await idOf(token!);
    const response = await t.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: auth(admin), payload: { is_active: false } });
    assert.equal(response.statusCode, 200);
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test("deletion of one's own account", async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    const response = await t.app.inject({ method: 'DELETE', url: '/users/me', headers: auth(token!), payload: { current_password: PASSWORD } });
    assert.equal(response.statusCode, 204);
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test('deletion by a superuser', async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    const id = await idOf(token!);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: auth(admin) })).statusCode, 204);
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test('a superuser demoted loses the superuser routes at once', async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1, { superuser: true });
    assert.equal((await t.app.inject({ method: 'GET', url: '/users', headers: auth(token!) })).statusCode, 200);
    await warm(t.app, token!);
    const id = await idOf(token!);
    const response = await t.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: auth(admin), payload: { is_superuser: false } });
    assert.equal(response.statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users', headers: auth(token!) })).statusCode, 403);
    assert.equal((await me(t.app, token!)).json().is_superuser, false);
  });

  test('an email changed by a superuser, and by the user, shows on the next request', async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    const id = await idOf(token!);
    const byAdmin = await t.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: auth(admin), payload: { email: 'renamed@example.com' } });
    assert.equal(byAdmin.statusCode, 200);
    assert.equal((await me(t.app, token!)).json().email, 'renamed@example.com');
    await warm(t.app, token!);
    const byUser = await t.app.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: auth(token!),
      payload: { email: 'renamed.again@example.com', current_password: PASSWORD },
    });
    assert.equal(byUser.statusCode, 200);
    assert.equal((await me(t.app, token!)).json().email, 'renamed.again@example.com');
  });

  test('enabling TOTP ends the other sessions, keeps the current one', async () => {
    const [current, other] = await userWithTokens(t.app, fresh(), 2);
    await warm(t.app, current!);
    await warm(t.app, other!);
    await enableTOTP(t.app, current!, () => new Date());
    assert.equal((await me(t.app, other!)).statusCode, 401);
    assert.equal((await me(t.app, current!)).statusCode, 200);
  });

  test("a write through the services' store (as a host app would make) evicts too", async () => {
    const [token] = await userWithTokens(t.app, fresh(), 1);
    await warm(t.app, token!);
    await internalsOf(t.app).auth.store.updateUser(await idOf(token!), { isActive: false }, new Date());
    assert.equal((await me(t.app, token!)).statusCode, 401);
  });

  test('the cache did answer: these tests exercised it', () => {
    assert.ok(cacheOf(t.app).stats.hits >= 12);
    assert.ok(cacheOf(t.app).stats.evictions >= 10);
  });
});
