import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../../support/apps.js';
import { setCookiesNamed } from '../../support/cookies.js';
import { register } from '../../support/requests.js';
import { passkeyRecordOf, softwareAuthenticator, type SoftwareAuthenticator } from '../../support/webauthn.js';

const PUBLIC_URL = 'https://auth.example.test:8443';
const ORIGIN = new URL(PUBLIC_URL).origin;
const THROTTLED = { detail: 'Too many attempts, try again later', code: 'TOO_MANY_REQUESTS' };

/** An assertion body that names `credentialId` and verifies against nothing. */
function garbage(credentialId: string) {
  return {
    id: credentialId,
    rawId: credentialId,
    type: 'public-key',
    response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
    clientExtensionResults: {},
  };
}

describe('failed passkey sign-ins are throttled per address and per credential and address', () => {
  let t: TestApp;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let key: SoftwareAuthenticator;
  let userId: number;

  before(async () => {
    t = await buildTestApp({ publicUrl: PUBLIC_URL, now: () => new Date(now) });
    assert.equal((await register(t.app, 'owner@example.com')).statusCode, 201);
    userId = (await t.store.findUserByEmail('owner@example.com'))!.id;
    key = softwareAuthenticator('auth.example.test');
    assert.ok(await t.store.passkeys.createPasskey(passkeyRecordOf(key, userId)));
  });
  after(async () => t.close());

  /** `POST /passkeys/login/options` from `remoteAddress`: the challenge its cookie holds. */
  async function challengeFor(remoteAddress: string): Promise<string> {
    const response = await t.app.inject({ method: 'POST', url: '/passkeys/login/options', remoteAddress });
    assert.equal(response.statusCode, 200, response.body);
    return response.json().challenge;
  }

  function signIn(assertion: object, remoteAddress: string, challenge?: string) {
    return t.app.inject({
      method: 'POST',
      url: '/passkeys/login',
      remoteAddress,
      payload: { response: assertion },
      cookies: challenge ? { token_webauthn: challenge } : {},
    });
  }

  /** A right assertion for a fresh challenge, but with its signature replaced: it fails verification. */
  async function badSignature(remoteAddress: string) {
    const challenge = await challengeFor(remoteAddress);
    const assertion = key.assert(challenge, ORIGIN, userId) as { response: Record<string, string> };
    const response = await signIn(
      { ...assertion, response: { ...assertion.response, signature: randomBytes(70).toString('base64url') } },
      remoteAddress,
      challenge,
    );
    return response;
  }

  async function rightPasskey(remoteAddress: string) {
    const challenge = await challengeFor(remoteAddress);
    return signIn(key.assert(challenge, ORIGIN, userId), remoteAddress, challenge);
  }

  test('failed verifications count: after 5 for one credential from one address, 429; a right passkey before that clears the count', async () => {
    for (let i = 0; i < 4; i++) assert.deepEqual((await badSignature('192.0.2.1')).json().code, 'PASSKEY_INVALID');
    const signedIn = await rightPasskey('192.0.2.1');
    assert.equal(signedIn.statusCode, 204, signedIn.body);
    assert.equal(setCookiesNamed(signedIn, 'token').length, 1, 'signed in with the auth cookie');
    // Cleared: five more failures are answered by verification before the sixth attempt is refused.
    for (let i = 0; i < 5; i++) assert.equal((await badSignature('192.0.2.1')).statusCode, 400);
    const refused = await badSignature('192.0.2.1');
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(refused.json(), THROTTLED);
  });

  test('during a throttle even a right passkey is 429 with Retry-After, before any verification: its challenge is not spent', async () => {
    now += 900_000;
    for (let i = 0; i < 5; i++) assert.equal((await badSignature('192.0.2.2')).statusCode, 400);
    now += 60_000;
    const challenge = await challengeFor('192.0.2.2');
    const assertion = key.assert(challenge, ORIGIN, userId);
    const refused = await signIn(assertion, '192.0.2.2', challenge);
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(refused.json(), THROTTLED);
    assert.equal(refused.headers['retry-after'], '840');
    assert.deepEqual(setCookiesNamed(refused, 'token'), [], 'nobody is signed in');
    // Nothing was verified or spent: the same assertion and challenge still sign in from elsewhere
    // (a spent challenge, or a signature counter moved past this assertion's, would be 400).
    const elsewhere = await signIn(assertion, '192.0.2.3', challenge);
    assert.equal(elsewhere.statusCode, 204, elsewhere.body);
  });

  test('garbage sent for a credential id from many addresses throttles those addresses, never the credential: its owner still signs in', async () => {
    now += 900_000;
    for (let a = 1; a <= 20; a++) {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await signIn(garbage(key.credentialId), `203.0.113.${a}`)).statusCode);
      assert.deepEqual(statuses, [400, 400, 400, 400, 400, 429]);
    }
    const owner = await rightPasskey('192.0.2.100');
    assert.equal(owner.statusCode, 204, owner.body);
  });

  test('per client address, whatever the credential id (unknown ones included): 429 after 100 failures; another address is free; the window ends', async () => {
    now += 900_000;
    for (let i = 0; i < 100; i++) {
      const response = await signIn(garbage(randomBytes(16).toString('base64url')), '198.51.100.7');
      assert.equal(response.json().code, 'PASSKEY_INVALID');
    }
    const refused = await signIn(garbage(randomBytes(16).toString('base64url')), '198.51.100.7');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '900');
    assert.equal((await rightPasskey('198.51.100.7')).statusCode, 429, 'the right passkey too, from that address');
    assert.equal((await signIn(garbage('fresh'), '198.51.100.8')).statusCode, 400, 'another address is not affected');
    now += 900_000;
    assert.equal((await rightPasskey('198.51.100.7')).statusCode, 204);
  });

  test('charged before verification: of 20 concurrent bad assertions for one credential from one address, exactly 5 are verified (400), the rest 429', async () => {
    now += 900_000;
    const responses = await Promise.all(Array.from({ length: 20 }, () => signIn(garbage(key.credentialId), '192.0.2.50')));
    const codes = responses.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 400).length, 5);
    assert.equal(codes.filter((c) => c === 429).length, 15);
  });
});
