import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { setCookieHeader } from '../support/cookies.js';
import { bearerToken, form, register } from '../support/requests.js';

describe('register, token, login, logout', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  test('POST /register creates a user and answers 201 with the public user only', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/register',
      payload: { email: '  Alice@Example.COM ', password: PASSWORD, is_superuser: true, id: 999, is_verified: true },
    });
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['email', 'id', 'is_active', 'is_superuser', 'is_verified']);
    assert.equal(body.email, 'alice@example.com');
    assert.equal(body.is_superuser, false, 'is_superuser in the body is ignored');
    assert.equal(body.is_verified, false);
    assert.notEqual(body.id, 999);
    const stored = await t.store.findUserByEmail('alice@example.com');
    assert.match(stored!.hashedPassword, /^\$argon2id\$v=19\$/);
  });

  test('POST /token then GET /users/me with the bearer token', async () => {
    const token = await bearerToken(t.app, 'ALICE@example.com');
    const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, 'alice@example.com');
  });

  test('POST /login sets the auth cookie with SPEC attributes', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) });
    assert.equal(response.statusCode, 204);
    const cookie = setCookieHeader(response, 'token');
    assert.ok(cookie);
    assert.match(cookie, /^token=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.doesNotMatch(cookie, /Domain/i);
  });

  test('duplicate registration is 400 REGISTER_USER_ALREADY_EXISTS, case-insensitively', async () => {
    const response = await register(t.app, 'ALICE@EXAMPLE.COM');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { detail: 'Email already exists', code: 'REGISTER_USER_ALREADY_EXISTS' });
  });
});
