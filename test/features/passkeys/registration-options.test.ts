import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_REGISTRATION_CHALLENGES_PER_USER } from '../../../src/features/passkeys/passkeys.js';
import { buildTestApp, PUBLIC_URL, testClock } from '../../support/apps.js';
import { auth, userWithToken } from '../../support/requests.js';
import { softwareAuthenticator } from '../../support/webauthn.js';

const RP_ID = new URL(PUBLIC_URL).hostname;

describe('passkey registration options: throttled, and their challenge rows bounded per user', () => {
  test('options are counted per user (the per-identifier limit): 429 with Retry-After past it', async () => {
    const t = await buildTestApp({ publicUrl: PUBLIC_URL, throttle: { identifierLimit: 3 } });
    try {
      const token = await userWithToken(t.app, 'options-user@example.com');
      const other = await userWithToken(t.app, 'options-other@example.com');
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(token) })).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const refused = await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(token) });
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal(
        (await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(other) })).statusCode,
        200,
        'another user is not held back',
      );
    } finally {
      await t.close();
    }
  });

  test('options are counted per client address across users (the address limit)', async () => {
    const t = await buildTestApp({ publicUrl: PUBLIC_URL, throttle: { addressLimit: 3 } });
    try {
      const tokens = [];
      for (let i = 0; i < 4; i++) tokens.push(await userWithToken(t.app, `address-${i}@example.com`));
      const statuses = [];
      for (const token of tokens)
        statuses.push(
          (await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(token), remoteAddress: '198.51.100.7' })).statusCode,
        );
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await t.close();
    }
  });

  test(`asking again keeps at most ${MAX_REGISTRATION_CHALLENGES_PER_USER} live challenges per user: the oldest stop working, the newest registers`, async () => {
    const clock = testClock();
    const t = await buildTestApp({ publicUrl: PUBLIC_URL, now: () => clock.now });
    try {
      const token = await userWithToken(t.app, 'bounded@example.com');
      const challenges: string[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await t.app.inject({ method: 'POST', url: '/users/me/passkeys/options', headers: auth(token) });
        assert.equal(response.statusCode, 200);
        challenges.push(response.json().challenge);
        clock.advance(1);
      }
      const rows = await t.store.db.selectFrom('webauthn_challenges').select('digest').where('purpose', '=', 'register').execute();
      assert.equal(rows.length, MAX_REGISTRATION_CHALLENGES_PER_USER);
      const oldest = await t.app.inject({
        method: 'POST',
        url: '/users/me/passkeys',
        headers: auth(token),
        payload: { name: 'Old', response: softwareAuthenticator(RP_ID).attest(challenges[0]!, PUBLIC_URL) },
      });
      assert.deepEqual({ s: oldest.statusCode, c: oldest.json().code }, { s: 400, c: 'PASSKEY_INVALID' });
      const newest = await t.app.inject({
        method: 'POST',
        url: '/users/me/passkeys',
        headers: auth(token),
        payload: { name: 'New', response: softwareAuthenticator(RP_ID).attest(challenges.at(-1)!, PUBLIC_URL) },
      });
      assert.equal(newest.statusCode, 201, newest.body);
    } finally {
      await t.close();
    }
  });
});
