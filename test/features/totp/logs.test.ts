import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../../support/constants.js';
import { auth, form } from '../../support/requests.js';
import { buildTestServer, type TestServer } from '../../support/servers.js';
import { base32Decode, totpAt } from '../../support/totp.js';

describe('logs never hold a TOTP secret, a one-time code or a recovery code', () => {
  let s: TestServer;
  const lines: string[] = [];

  before(async () => {
    s = await buildTestServer({ LOG_LEVEL: 'trace' }, { logStream: { write: (line: string) => void lines.push(line) } });
  });
  after(async () => s.close());

  test('set-up, confirmation, sign-in with a code and with a recovery code, a failure, turning it off', async () => {
    const { app } = s;
    assert.equal((await app.inject({ method: 'POST', url: '/register', payload: { email: 'log2fa@example.com', password: PASSWORD } })).statusCode, 201);
    const token = (await app.inject({ method: 'POST', url: '/token', ...form({ username: 'log2fa@example.com', password: PASSWORD }) })).json().access_token;
    const begin = (await app.inject({ method: 'POST', url: '/users/me/totp', headers: auth(token), payload: { current_password: PASSWORD } })).json();
    const firstCode = totpAt(begin.secret, new Date());
    const codes: string[] = (await app.inject({ method: 'POST', url: '/users/me/totp/confirm', headers: auth(token), payload: { code: firstCode } })).json()
      .recovery_codes;
    assert.equal(codes.length, 10);
    await app.inject({ method: 'POST', url: '/token', ...form({ username: 'log2fa@example.com', password: PASSWORD, otp: codes[0]! }) });
    await app.inject({ method: 'POST', url: '/login', ...form({ email: 'log2fa@example.com', password: PASSWORD, otp: '000000' }) });
    await app.inject({ method: 'POST', url: '/login/otp', payload: { otp: codes[1]! } });
    assert.equal(
      (await app.inject({ method: 'DELETE', url: '/users/me/totp', headers: auth(token), payload: { current_password: PASSWORD, code: codes[2]! } }))
        .statusCode,
      204,
    );

    const text = lines.join('');
    assert.ok(lines.length > 5, 'the flows were logged');
    // Not the 6-digit code: six digits can occur in any timestamp of the log.
    const secrets = [begin.secret, base32Decode(begin.secret).toString('hex'), begin.otpauth_url, encodeURIComponent(begin.otpauth_url), ...codes];
    for (const secret of secrets) assert.equal(text.includes(secret), false, `found in the log: ${secret}`);
  });
});
