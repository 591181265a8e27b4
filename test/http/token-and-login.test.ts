import { Algorithm, hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { cookieValue, setCookieHeader } from '../support/cookies.js';
import { bearerToken, form, observable, register } from '../support/requests.js';
import { countDummyVerifications } from '../support/hashing.js';

const CURRENT_HASH = /^\$argon2id\$v=19\$m=256,t=1,p=1\$/; // FAST_ARGON2, the test app's "current" parameters

/** Headers that must not differ between the three "bad credentials" cases. */
describe('POST /token (OAuth2 password grant)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
    await register(t.app, 'alice@example.com');
    await register(t.app, 'inactive@example.com');
    const inactive = await t.store.findUserByEmail('inactive@example.com');
    await t.store.updateUser(inactive!.id, { isActive: false }, new Date());
  });
  after(async () => t.close());

  const token = (fields: Record<string, string>) => t.app.inject({ method: 'POST', url: '/token', ...form(fields) });

  test('200 {access_token, token_type: "bearer", expires_in} with Cache-Control: no-store and Pragma: no-cache', async () => {
    const response = await token({ username: 'alice@example.com', password: PASSWORD });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.match(body.access_token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 86400);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
  });

  test('grant_type=password, the username in another case, and scope/client fields are accepted', async () => {
    const response = await token({ username: 'ALICE@Example.com', password: PASSWORD, grant_type: 'password', scope: '', client_id: 'x' });
    assert.equal(response.statusCode, 200);
  });

  test('a charset parameter on the form content type is accepted', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      payload: new URLSearchParams({ username: 'alice@example.com', password: PASSWORD }).toString(),
    });
    assert.equal(response.statusCode, 200);
  });

  test('unknown email, wrong password and inactive user: 401 with WWW-Authenticate: Bearer and a byte-identical response', async () => {
    const unknown = await token({ username: 'nobody@example.com', password: PASSWORD });
    const wrong = await token({ username: 'alice@example.com', password: `${PASSWORD}!` });
    const inactive = await token({ username: 'inactive@example.com', password: PASSWORD });
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(unknown.json(), {
      detail: 'Incorrect email or password',
      code: 'LOGIN_BAD_CREDENTIALS',
      error: 'invalid_grant',
      error_description: 'Incorrect email or password',
    });
    assert.deepEqual(observable(wrong), observable(unknown));
    assert.deepEqual(observable(inactive), observable(unknown));
  });

  test('an unknown email still runs a password verification (the dummy hash)', async () => {
    const dummies = countDummyVerifications(t.app);
    await token({ username: 'ghost@example.com', password: PASSWORD });
    await token({ username: 'ghost2@example.com', password: 'another long password' });
    assert.equal(dummies(), 2);
    await token({ username: 'alice@example.com', password: 'wrong long password' });
    assert.equal(dummies(), 2, 'a known email verifies its own hash instead');
  });

  test('grant_type other than password is 422 with loc ["body", "grant_type"]', async () => {
    for (const grant of ['client_credentials', 'authorization_code', 'refresh_token', '']) {
      const response = await token({ username: 'alice@example.com', password: PASSWORD, grant_type: grant });
      assert.equal(response.statusCode, 422, grant);
      assert.deepEqual(response.json().detail[0].loc, ['body', 'grant_type']);
    }
  });

  test('missing username or password is 422 listing each missing field', async () => {
    const response = await token({});
    assert.equal(response.statusCode, 422);
    const locs = response
      .json()
      .detail.map((p: { loc: string[] }) => p.loc.join('.'))
      .sort();
    assert.deepEqual(locs, ['body.password', 'body.username']);
  });

  test('a JSON body is 415: the token endpoint takes a form only (RFC 6749 §4.3.2)', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/token', payload: { username: 'alice@example.com', password: PASSWORD } });
    assert.equal(response.statusCode, 415);
    assert.deepEqual(response.json(), {
      detail: 'Unsupported content type: send application/x-www-form-urlencoded',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      error: 'invalid_request',
      error_description: 'Unsupported content type: send application/x-www-form-urlencoded',
    });
  });

  test('422s carry RFC 6749 §5.2 "error": unsupported_grant_type for another grant, invalid_request otherwise', async () => {
    const cases: [string, Record<string, string> | string, string][] = [
      ['another grant type', { username: 'alice@example.com', password: PASSWORD, grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      ['another grant type, fields missing', { grant_type: 'refresh_token' }, 'unsupported_grant_type'],
      ['no fields', {}, 'invalid_request'],
      ['no password', { username: 'alice@example.com' }, 'invalid_request'],
      ['an empty grant type', { username: 'alice@example.com', password: PASSWORD, grant_type: '' }, 'invalid_request'],
      ['a repeated grant type', `username=a%40example.com&password=x&grant_type=password&grant_type=password`, 'invalid_request'],
    ];
    for (const [name, fields, error] of cases) {
      const payload = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
      const response = await t.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
      assert.equal(response.statusCode, 422, name);
      const body = response.json();
      assert.equal(body.code, 'VALIDATION_ERROR', name);
      assert.ok(Array.isArray(body.detail), name);
      assert.equal(body.error, error, name);
      assert.match(body.error_description, /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/, `${name}: RFC 6749 §5.2 character set`);
    }
  });

  test('a throttled /token (429) has no RFC 6749 error code, and /login keeps the plain body', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: 'not the password at all' }) });
    assert.deepEqual(login.json(), { detail: 'Incorrect email or password', code: 'LOGIN_BAD_CREDENTIALS' });
    let response;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      response = await token({ username: 'throttled@example.com', password: 'not the password at all' });
      if (response.statusCode === 429) break;
    }
    assert.equal(response?.statusCode, 429);
    assert.deepEqual(Object.keys(response!.json()).sort(), ['code', 'detail']);
  });

  test('every login issues a new token and both stay valid', async () => {
    const first = await bearerToken(t.app, 'alice@example.com');
    const second = await bearerToken(t.app, 'alice@example.com');
    assert.notEqual(first, second);
    for (const bearer of [first, second]) {
      const me = await t.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(me.statusCode, 200);
    }
  });

  test('the stored token column is the SHA-256 digest, never the token', async () => {
    const { digestToken } = await import('../../src/core/token.js');
    const bearer = await bearerToken(t.app, 'alice@example.com');
    const rows = await t.store.db.selectFrom('access_tokens').select(['token']).execute();
    assert.ok(rows.some((row) => row.token === digestToken(bearer)));
    assert.ok(rows.every((row) => row.token !== bearer && /^[0-9a-f]{64}$/.test(row.token)));
  });
});

describe('POST /login (cookie)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
    await register(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  test('204 with Set-Cookie: token=…; Max-Age=86400; Path=/; HttpOnly; Secure; SameSite=Lax, no Domain, no body', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) });
    assert.equal(response.statusCode, 204);
    assert.equal(response.body, '');
    const cookie = setCookieHeader(response, 'token');
    assert.match(cookie ?? '', /^token=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  test('the cookie works on /users/me and /protected-route', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) });
    const value = cookieValue(response, 'token');
    for (const url of ['/users/me', '/protected-route']) {
      const me = await t.app.inject({ method: 'GET', url, cookies: { token: value } });
      assert.equal(me.statusCode, 200, url);
      assert.equal(me.json().email, 'alice@example.com');
    }
  });

  test('401 for bad credentials sets no auth cookie and has the /token body', async () => {
    for (const fields of [
      { email: 'alice@example.com', password: 'the wrong password' },
      { email: 'nobody@example.com', password: PASSWORD },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/login', ...form(fields) });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(response.json(), { detail: 'Incorrect email or password', code: 'LOGIN_BAD_CREDENTIALS' });
      assert.equal(setCookieHeader(response, 'token'), undefined);
    }
  });

  test('422 for missing fields, 415 for a JSON body', async () => {
    const missing = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com' }) });
    assert.equal(missing.statusCode, 422);
    assert.deepEqual(missing.json().detail, [{ loc: ['body', 'password'], msg: 'Field required', type: 'missing' }]);
    const json = await t.app.inject({ method: 'POST', url: '/login', payload: { email: 'alice@example.com', password: PASSWORD } });
    assert.equal(json.statusCode, 415);
  });
});

describe('POST /login with configured cookie options', () => {
  test('cookieSecure=false drops Secure; the lifetime and cookie name are honoured', async () => {
    const t = await buildTestApp({ cookieSecure: false, accessTokenLifetime: 3600, authCookieName: 'session' });
    try {
      await register(t.app, 'alice@example.com');
      const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email: 'alice@example.com', password: PASSWORD }) });
      const cookie = setCookieHeader(response, 'session');
      assert.match(cookie ?? '', /^session=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; SameSite=Lax$/);
    } finally {
      await t.close();
    }
  });
});

describe('rehash on login (CryptContext deprecated="auto")', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp();
  });
  after(async () => t.close());

  async function seed(email: string, hashedPassword: string) {
    return t.store.createUser({ email, hashedPassword }, new Date());
  }

  test('a passlib bcrypt ($2b$) user logs in via /token and the stored hash becomes argon2id at current parameters', async () => {
    await seed('legacy@example.com', await bcryptHash(PASSWORD, 4));
    const first = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'legacy@example.com', password: PASSWORD }) });
    assert.equal(first.statusCode, 200);
    const upgraded = (await t.store.findUserByEmail('legacy@example.com'))!.hashedPassword;
    assert.match(upgraded, CURRENT_HASH);
    const again = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'legacy@example.com', password: PASSWORD }) });
    assert.equal(again.statusCode, 200);
    assert.equal((await t.store.findUserByEmail('legacy@example.com'))!.hashedPassword, upgraded, 'no second rehash');
  });

  test('a Django bcrypt_sha256$ user and a $2y$ user are upgraded the same way', async () => {
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(PASSWORD).digest('hex');
    await seed('django@example.com', `bcrypt_sha256$${await bcryptHash(sha, 4)}`);
    await seed('php@example.com', `$2y$${(await bcryptHash(PASSWORD, 4)).slice(4)}`);
    for (const email of ['django@example.com', 'php@example.com']) {
      const response = await t.app.inject({ method: 'POST', url: '/login', ...form({ email, password: PASSWORD }) });
      assert.equal(response.statusCode, 204, email);
      assert.match((await t.store.findUserByEmail(email))!.hashedPassword, CURRENT_HASH, email);
    }
  });

  test('an argon2id hash with older parameters is upgraded on login', async () => {
    const old = await argon2Hash(PASSWORD, { algorithm: Algorithm.Argon2id, memoryCost: 128, timeCost: 1, parallelism: 1 });
    await seed('oldargon@example.com', old);
    assert.equal((await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'oldargon@example.com', password: PASSWORD }) })).statusCode, 200);
    assert.match((await t.store.findUserByEmail('oldargon@example.com'))!.hashedPassword, CURRENT_HASH);
    assert.equal((await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'oldargon@example.com', password: PASSWORD }) })).statusCode, 200);
  });

  test('a wrong password on a legacy hash is 401 and leaves the hash alone', async () => {
    const legacy = await bcryptHash(PASSWORD, 4);
    await seed('stays@example.com', legacy);
    const response = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'stays@example.com', password: 'not the password at all' }) });
    assert.equal(response.statusCode, 401);
    assert.equal((await t.store.findUserByEmail('stays@example.com'))!.hashedPassword, legacy);
  });

  test('a legacy password shorter than the policy still logs in (the policy applies when a password is set)', async () => {
    await seed('short@example.com', await bcryptHash('U*U', 4));
    const response = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'short@example.com', password: 'U*U' }) });
    assert.equal(response.statusCode, 200);
  });
});
