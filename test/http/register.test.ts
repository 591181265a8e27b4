import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { register } from '../support/requests.js';

/** `POST /register` (docs/api.md). */
describe('POST /register', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/register', payload: payload as string, headers });

  test('201 with exactly the public user; the stored email is trimmed and lower-cased', async () => {
    const response = await register(t.app, '  Bob@Example.ORG ');
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.deepEqual(body, { id: body.id, email: 'bob@example.org', is_active: true, is_superuser: false, is_verified: false });
    assert.ok(Number.isInteger(body.id));
    assert.ok(!response.body.includes('argon2') && !response.body.includes(PASSWORD));
  });

  test('privilege fields in the body are ignored (is_superuser, is_verified, is_active, id, hashed_password)', async () => {
    const response = await post({
      email: 'mallory@example.com',
      password: PASSWORD,
      is_superuser: true,
      is_verified: true,
      is_active: false,
      id: 1,
      hashed_password: '$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    });
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.equal(body.is_superuser, false);
    assert.equal(body.is_verified, false);
    assert.equal(body.is_active, true);
    assert.notEqual(body.id, 1);
    const stored = await t.store.findUserByEmail('mallory@example.com');
    assert.match(stored!.hashedPassword, /^\$argon2id\$/);
  });

  test('a duplicate email, in any case or with spaces, is 400 REGISTER_USER_ALREADY_EXISTS', async () => {
    await register(t.app, 'carol@example.com');
    for (const email of ['carol@example.com', 'CAROL@EXAMPLE.COM', ' Carol@example.com ']) {
      const response = await register(t.app, email);
      assert.equal(response.statusCode, 400, email);
      assert.deepEqual(response.json(), { detail: 'Email already exists', code: 'REGISTER_USER_ALREADY_EXISTS' });
    }
  });

  test('a password that breaks the policy is 400 REGISTER_INVALID_PASSWORD with the reason', async () => {
    const cases: [string, string][] = [
      ['fourteen chars', 'Password should be at least 15 characters'],
      ['x'.repeat(1025), 'Password should be at most 1024 characters'],
      ['passwordpassword', 'Password is too common'],
      ['dave.longname@example.com', 'Password should not be the email'],
    ];
    for (const [password, reason] of cases) {
      const response = await register(t.app, 'dave.longname@example.com', password);
      assert.equal(response.statusCode, 400, reason);
      assert.deepEqual(response.json(), { detail: reason, code: 'REGISTER_INVALID_PASSWORD' });
    }
    assert.equal(await t.store.findUserByEmail('dave.longname@example.com'), null, 'nothing was created');
    assert.equal((await register(t.app, 'dave.longname@example.com', 'x'.repeat(1024))).statusCode, 201);
  });

  test('422 lists problems as {loc, msg, type}: missing field', async () => {
    const response = await post({ email: 'eve@example.com' });
    assert.equal(response.statusCode, 422);
    assert.deepEqual(response.json(), {
      detail: [{ loc: ['body', 'password'], msg: 'Field required', type: 'missing' }],
      code: 'VALIDATION_ERROR',
    });
    const both = await post({});
    assert.deepEqual(
      both
        .json()
        .detail.map((p: { loc: string[] }) => p.loc.join('.'))
        .sort(),
      ['body.email', 'body.password'],
    );
  });

  test('422 for a wrong type (no coercion: a number, an array or an object is not a string)', async () => {
    for (const password of [123456789012345, [PASSWORD], { $ne: null }, null, true]) {
      const response = await post({ email: 'eve@example.com', password });
      assert.equal(response.statusCode, 422, JSON.stringify(password));
      const [problem] = response.json().detail;
      assert.deepEqual(problem, { loc: ['body', 'password'], msg: 'must be string', type: 'type_error' });
    }
  });

  test('422 for a bad email', async () => {
    for (const email of ['not-an-email', 'a@b', '@example.com', 'a b@example.com', 'a@exa mple.com', '']) {
      const response = await post({ email, password: PASSWORD });
      assert.equal(response.statusCode, 422, email);
      const problem = response.json().detail.find((p: { loc: string[] }) => p.loc.join('.') === 'body.email');
      assert.ok(problem, email);
      assert.equal(typeof problem.msg, 'string');
      assert.equal(typeof problem.type, 'string');
    }
  });

  test('422 for an over-long email (over 320 characters)', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`;
    assert.ok(email.length > 320);
    const response = await post({ email, password: PASSWORD });
    assert.equal(response.statusCode, 422);
    assert.ok(response.json().detail.some((p: { loc: string[]; type: string }) => p.loc.join('.') === 'body.email' && p.type === 'string_too_long'));
  });

  test('a body that is not JSON is 415 (the route reads JSON only)', async () => {
    const response = await post('email=x%40example.com&password=abc', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('malformed JSON is 400 MALFORMED_BODY, not 500', async () => {
    const response = await post('{"email": ', { 'content-type': 'application/json' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'MALFORMED_BODY');
  });

  test('API responses carry Cache-Control: no-store', async () => {
    const response = await register(t.app, 'frank@example.com');
    assert.equal(response.headers['cache-control'], 'no-store');
  });
});
