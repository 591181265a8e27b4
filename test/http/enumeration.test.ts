import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { setCookiesNamed } from '../support/cookies.js';
import { form, observable, register } from '../support/requests.js';
import { countDummyVerifications } from '../support/hashing.js';

describe('login answers do not reveal whether an account exists (OWASP Authentication CS)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
    assert.equal((await register(t.app, 'alice@example.com')).statusCode, 201);
    const carol = await register(t.app, 'carol@example.com');
    const updated = await t.store.updateUser(carol.json().id, { isActive: false }, new Date());
    assert.ok(updated && updated !== 'email-taken' && !updated.isActive);
  });
  after(async () => t.close());

  for (const [route, field] of [
    ['/token', 'username'],
    ['/login', 'email'],
  ] as const) {
    test(`${route}: unknown email, wrong password and inactive user answer byte for byte alike`, async () => {
      const attempt = (email: string, password: string) => t.app.inject({ method: 'POST', url: route, ...form({ [field]: email, password }) });
      const dummies = countDummyVerifications(t.app);
      const unknown = await attempt('nobody@example.com', PASSWORD);
      assert.equal(dummies(), 1, 'an unknown email still runs a password verification');
      const wrong = await attempt('alice@example.com', 'not the right password at all');
      const inactive = await attempt('carol@example.com', PASSWORD);
      assert.equal(dummies(), 1, 'known users verify against their own hash');

      assert.equal(unknown.statusCode, 401);
      // /token adds RFC 6749 §5.2's members for OAuth2 clients (docs/clients.md).
      const oauth = route === '/token' ? { error: 'invalid_grant', error_description: 'Incorrect email or password' } : {};
      assert.deepEqual(unknown.json(), { detail: 'Incorrect email or password', code: 'LOGIN_BAD_CREDENTIALS', ...oauth });
      assert.equal(unknown.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(observable(wrong), observable(unknown));
      assert.deepEqual(observable(inactive), observable(unknown));
      assert.deepEqual(setCookiesNamed(unknown, 'token'), [], 'no auth cookie on failure');
    });
  }

  test('the inactive user really had the right password (the check above compares a real success path)', async () => {
    await t.store.updateUser((await t.store.findUserByEmail('carol@example.com'))!.id, { isActive: true }, new Date());
    const response = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'carol@example.com', password: PASSWORD }) });
    assert.equal(response.statusCode, 200);
  });
});
