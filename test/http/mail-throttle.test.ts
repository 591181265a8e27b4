import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthError } from '../../src/core/errors.js';
import type { MailAction } from '../../src/http/routes/account-context.js';
import { buildMailApp, type MailApp } from '../support/apps.js';
import { userWithToken } from '../support/requests.js';

describe('the mailThrottle seam of forgot-password and request-verify-token', () => {
  let t: MailApp;
  const calls: Array<{ action: MailAction; email: string; ip: string }> = [];
  before(async () => {
    t = await buildMailApp({
      // A stand-in throttle: allows one request per address and action, then 429s.
      mailThrottle: async (action, key) => {
        calls.push({ action, ...key });
        if (calls.filter((c) => c.action === action && c.email === key.email).length > 1) {
          throw new AuthError('TOO_MANY_REQUESTS', undefined, { retryAfter: 900 });
        }
      },
    });
    await userWithToken(t.app, 'alice@example.com');
  });
  after(async () => t.close());

  for (const [action, url] of [
    ['forgot-password', '/forgot-password'],
    ['request-verify-token', '/request-verify-token'],
  ] as const) {
    test(`${url}: the throttle sees the normalised email and the client address; a refusal is 429 and sends nothing`, async () => {
      const before = (await t.mailsTo('alice@example.com')).length;
      const first = await t.app.inject({ method: 'POST', url, payload: { email: ' ALICE@example.com' } });
      assert.equal(first.statusCode, 202);
      assert.deepEqual(calls.at(-1), { action, email: 'alice@example.com', ip: '127.0.0.1' });
      const second = await t.app.inject({ method: 'POST', url, payload: { email: 'alice@example.com' } });
      assert.equal(second.statusCode, 429);
      assert.equal(second.headers['retry-after'], '900');
      assert.equal(second.json().code, 'TOO_MANY_REQUESTS');
      assert.equal((await t.mailsTo('alice@example.com')).length, before + 1, 'only the first request sent a mail');
    });
  }
});
