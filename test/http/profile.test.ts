import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { auth, bearerToken, userWithToken } from '../support/requests.js';

const NEW_PASSWORD = 'an entirely different passphrase';

describe('PATCH /users/me and DELETE /users/me', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  function patch(token: string, payload: object) {
    return t.app.inject({ method: 'PATCH', url: '/users/me', headers: auth(token), payload });
  }

  test('a new email is stored normalised and clears is_verified; privilege fields are ignored', async () => {
    const token = await userWithToken(t.app, 'alice@example.com');
    const alice = (await t.store.findUserByEmail('alice@example.com'))!;
    await t.store.updateUser(alice.id, { isVerified: true }, new Date());
    const response = await patch(token, { email: ' Alice.New@Example.com ', current_password: PASSWORD, is_superuser: true, is_verified: true });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { id: alice.id, email: 'alice.new@example.com', is_active: true, is_superuser: false, is_verified: false });
  });

  test('the same email again keeps is_verified', async () => {
    const token = await userWithToken(t.app, 'same@example.com');
    const user = (await t.store.findUserByEmail('same@example.com'))!;
    await t.store.updateUser(user.id, { isVerified: true }, new Date());
    const response = await patch(token, { email: 'SAME@example.com', current_password: PASSWORD });
    assert.equal(response.json().is_verified, true);
  });

  test('a wrong current password is 401 INVALID_CURRENT_PASSWORD and changes nothing', async () => {
    const token = await bearerToken(t.app, 'alice.new@example.com');
    const response = await patch(token, { email: 'mallory@example.com', current_password: 'not the password at all' });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().code, 'INVALID_CURRENT_PASSWORD');
    assert.equal(response.headers['www-authenticate'], 'Bearer');
    assert.equal(await t.store.findUserByEmail('mallory@example.com'), null);
  });

  test('an email that belongs to someone else is 400 UPDATE_USER_EMAIL_ALREADY_EXISTS', async () => {
    await userWithToken(t.app, 'bob@example.com');
    const token = await bearerToken(t.app, 'alice.new@example.com');
    const response = await patch(token, { email: 'BOB@example.com', current_password: PASSWORD });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { detail: 'Email already exists', code: 'UPDATE_USER_EMAIL_ALREADY_EXISTS' });
  });

  test('a password that breaks the policy is 400 UPDATE_USER_INVALID_PASSWORD with the reason', async () => {
    const token = await bearerToken(t.app, 'alice.new@example.com');
    for (const password of ['too short', 'alice.new@example.com']) {
      const response = await patch(token, { password, current_password: PASSWORD });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().code, 'UPDATE_USER_INVALID_PASSWORD');
      assert.equal(typeof response.json().detail, 'string');
    }
  });

  test('a new password keeps this session and revokes the others', async () => {
    const current = await bearerToken(t.app, 'alice.new@example.com');
    const other = await bearerToken(t.app, 'alice.new@example.com');
    const response = await patch(current, { password: NEW_PASSWORD, current_password: PASSWORD });
    assert.equal(response.statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(current) })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(other) })).statusCode, 401);
    await assert.rejects(bearerToken(t.app, 'alice.new@example.com', PASSWORD));
    await bearerToken(t.app, 'alice.new@example.com', NEW_PASSWORD);
  });

  test('schema violations and missing authentication', async () => {
    const token = await bearerToken(t.app, 'alice.new@example.com', NEW_PASSWORD);
    assert.equal((await patch(token, { email: 'x@example.com' })).statusCode, 422, 'current_password is required');
    assert.equal((await patch(token, { email: 'not-an-email', current_password: NEW_PASSWORD })).statusCode, 422);
    assert.equal((await patch(token, { password: ['a'], current_password: NEW_PASSWORD })).statusCode, 422);
    const anonymous = await t.app.inject({ method: 'PATCH', url: '/users/me', payload: { current_password: NEW_PASSWORD } });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().code, 'NOT_AUTHENTICATED');
  });

  test('DELETE /users/me: 401 with a wrong password, then 204 and the user and tokens are gone', async () => {
    const token = await userWithToken(t.app, 'carol@example.com');
    const other = await bearerToken(t.app, 'carol@example.com');
    const wrong = await t.app.inject({ method: 'DELETE', url: '/users/me', headers: auth(token), payload: { current_password: 'wrong wrong wrong wrong' } });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().code, 'INVALID_CURRENT_PASSWORD');
    assert.ok(await t.store.findUserByEmail('carol@example.com'));
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/users/me', headers: auth(token), payload: {} })).statusCode, 422);

    const response = await t.app.inject({ method: 'DELETE', url: '/users/me', headers: auth(token), payload: { current_password: PASSWORD } });
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    assert.equal(await t.store.findUserByEmail('carol@example.com'), null);
    for (const bearer of [token, other]) {
      assert.equal((await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(bearer) })).statusCode, 401);
    }
    await assert.rejects(bearerToken(t.app, 'carol@example.com'));
  });
});
