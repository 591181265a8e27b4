import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../../support/apps.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { auth, userWithToken } from '../../support/requests.js';

/** What a client could send instead of a real authenticator response. */
const FORGED = {
  id: 'AAAA',
  rawId: 'AAAA',
  type: 'public-key',
  response: {
    clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: 'x', origin: 'https://auth.example.test' })).toString('base64url'),
    authenticatorData: 'AAAA',
    signature: 'AAAA',
  },
  clientExtensionResults: {},
};

describe('passkey routes through inject: options, cookies, refusals (the ceremonies themselves run in Chromium)', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ publicUrl: 'https://auth.example.test:8443' });
  });
  after(async () => t.close());

  test('registration options: RP ID = PUBLIC_URL host name, resident key and user verification required, the user handle not the email', async () => {
    const token = await userWithToken(t.app, 'options@example.com');
    const response = await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(token) });
    assert.equal(response.statusCode, 200);
    const options = response.json();
    assert.equal(options.rp.id, 'auth.example.test');
    assert.deepEqual(options.authenticatorSelection, { residentKey: 'required', requireResidentKey: true, userVerification: 'required' });
    assert.equal(options.user.name, 'options@example.com');
    assert.notEqual(Buffer.from(options.user.id, 'base64url').toString(), 'options@example.com');
    assert.ok(Buffer.from(options.challenge, 'base64url').length >= 32);
    assert.equal(options.timeout, 300_000);
    assert.equal((await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options' })).statusCode, 401);
  });

  test('sign-in options set a 5-minute HttpOnly cookie holding the challenge, and list no credentials', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/passkeys/login/options' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().allowCredentials, []);
    assert.equal(response.json().rpId, 'auth.example.test');
    const [cookie] = setCookiesNamed(response, 'token_webauthn');
    assert.equal(cookie, `token_webauthn=${response.json().challenge}; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Strict`);
  });

  test('a forged or malformed response is 400 PASSKEY_INVALID or 422, never 500, and signs nobody in', async () => {
    const token = await userWithToken(t.app, 'forged@example.com');
    const options = await t.app.inject({ method: 'POST', url: '/passkeys/login/options' });
    const challenge = options.json().challenge;
    const cases: [string, object, Record<string, string>][] = [
      ['/passkeys/login', { response: FORGED }, { token_webauthn: challenge }],
      ['/passkeys/login', { response: FORGED }, {}],
      ['/passkeys/login', { response: { ...FORGED, response: 'nope' } }, { token_webauthn: challenge }],
      ['/passkeys/login', { response: { ...FORGED, type: 'other' } }, {}],
    ];
    for (const [url, payload, cookies] of cases) {
      const response = await t.app.inject({ method: 'POST', url, payload, cookies });
      assert.ok([400, 422].includes(response.statusCode), `${JSON.stringify(payload)}: ${response.statusCode} ${response.body}`);
      assert.deepEqual(setCookiesNamed(response, 'token'), []);
    }
    const first = await t.app.inject({ method: 'POST', url: '/passkeys/login', payload: { response: FORGED }, cookies: { token_webauthn: challenge } });
    assert.equal(first.json().code, 'PASSKEY_INVALID');
    const registration = await t.app.inject({
      method: 'POST',
      url: '/users/me/passkeys',
      headers: auth(token),
      payload: { name: 'x', response: { ...FORGED, response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA' } } },
    });
    assert.deepEqual({ s: registration.statusCode, c: registration.json().code }, { s: 400, c: 'PASSKEY_INVALID' });
  });

  test('list is empty at first; deleting an unknown id is 404 PASSKEY_NOT_FOUND; a non-integer id is 422', async () => {
    const token = await userWithToken(t.app, 'list@example.com');
    assert.deepEqual((await t.app.inject({ url: '/users/me/passkeys', headers: auth(token) })).json(), []);
    const unknown = await t.app.inject({ method: 'DELETE', url: '/users/me/passkeys/999999', headers: auth(token) });
    assert.deepEqual({ s: unknown.statusCode, c: unknown.json().code }, { s: 404, c: 'PASSKEY_NOT_FOUND' });
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/users/me/passkeys/abc', headers: auth(token) })).statusCode, 422);
  });

  test('sign-in options are counted per client address (429 over the address limit)', async () => {
    const limited = await buildTestApp({ throttle: { addressLimit: 3 } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.app.inject({ method: 'POST', url: '/passkeys/login/options' })).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
