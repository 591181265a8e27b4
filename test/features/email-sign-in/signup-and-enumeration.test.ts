import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildMailApp, type MailApp } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { parseSetCookies } from '../../support/cookies.js';
import { form, register } from '../../support/requests.js';
import { askByEmail, cookiesOf, readSignInMail, verify } from './flow.js';

/** What a client can compare between two answers: status, body and cookies without their values. */
function shape(response: LightMyRequestResponse) {
  return {
    status: response.statusCode,
    body: response.body,
    cookies: parseSetCookies(response).map((c) => c.raw.replace(/^([^=]+)=[^;]*/, '$1=…')),
    type: response.headers['content-type'],
  };
}

describe('POST /login/email does not reveal whether an account exists', () => {
  let t: MailApp;
  let queued: string[] = [];
  before(async () => {
    t = await buildMailApp();
    await register(t.app, 'known@example.com');
    const inactive = await register(t.app, 'inactive@example.com');
    await t.store.updateUser(inactive.json().id, { isActive: false }, t.clock.now);
    // Every request queues one task in the outbox, whatever the address: the same work before the answer.
    const outbox = t.app.fastifyUsers.mailOutbox as unknown as { enqueue: (...args: unknown[]) => unknown };
    const enqueue = outbox.enqueue.bind(outbox);
    outbox.enqueue = (...args: unknown[]) => {
      queued.push((args[1] as { to: string }).to);
      return enqueue(...args);
    };
  });
  after(async () => t.close());

  for (const transport of ['cookie', 'bearer'] as const) {
    test(`${transport}: known, unknown and deactivated addresses get the same answer and the same queued step; only the known one is mailed`, async () => {
      queued = [];
      const ask = (email: string) => t.app.inject({ method: 'POST', url: '/login/email', payload: transport === 'bearer' ? { email, transport } : { email } });
      const known = await ask('known@example.com');
      const unknown = await ask('nobody@example.com');
      const inactive = await ask('inactive@example.com');
      assert.equal(known.statusCode, 202);
      if (transport === 'bearer') {
        for (const r of [known, unknown, inactive]) assert.deepEqual(Object.keys(r.json()), ['request_id']);
        const strip = (r: typeof known) => ({ ...shape(r), body: r.body.replace(/"[A-Za-z0-9_-]{43}"/, '"…"') });
        assert.deepEqual(strip(unknown), strip(known));
        assert.deepEqual(strip(inactive), strip(known));
      } else {
        assert.equal(known.body, 'null', 'as /forgot-password answers');
        assert.deepEqual(shape(unknown), shape(known));
        assert.deepEqual(shape(inactive), shape(known));
      }
      assert.deepEqual(queued, ['known@example.com', 'nobody@example.com', 'inactive@example.com']);
      await t.app.fastifyUsers.mailOutbox.drain();
      assert.equal((await t.mailsTo('nobody@example.com')).length, 0);
      assert.equal((await t.mailsTo('inactive@example.com')).length, 0);
    });
  }

  test('the mail throttle counts per account and per address, as /forgot-password (429 with Retry-After)', async () => {
    const throttled = await buildMailApp({ mailThrottle: undefined });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i += 1) codes.push((await askByEmail(throttled.app, 'someone@example.com')).response.statusCode);
      assert.deepEqual(codes, [202, 202, 202, 429]);
      const refused = await askByEmail(throttled.app, 'someone@example.com');
      assert.ok(Number(refused.response.headers['retry-after']) > 0);
    } finally {
      await throttled.close();
    }
  });
});

describe('EMAIL_SIGNUP: an address without an account', () => {
  test('off (default): no mail, no account, and a code guessed for it signs no one in', async () => {
    const t = await buildMailApp();
    try {
      const { response, cookies } = await askByEmail(t.app, 'newcomer@example.com');
      assert.equal(response.statusCode, 202);
      assert.equal((await t.mailsTo('newcomer@example.com')).length, 0);
      assert.equal(await t.store.findUserByEmail('newcomer@example.com'), null);
      assert.equal((await verify(t.app, { email: 'newcomer@example.com', code: '123456' }, cookies)).statusCode, 401);
      assert.equal(await t.store.findUserByEmail('newcomer@example.com'), null);
    } finally {
      await t.close();
    }
  });

  test('on: the mail goes out, and its code makes the account — verified, without a password', async () => {
    const t = await buildMailApp({ emailSignup: true });
    try {
      const { cookies } = await askByEmail(t.app, 'Newcomer@Example.com');
      assert.equal(await t.store.findUserByEmail('newcomer@example.com'), null, 'no account before the mail is used');
      const mails = await t.mailsTo('newcomer@example.com');
      assert.equal(mails.length, 1);
      assert.deepEqual(mails[0]!.to, ['newcomer@example.com']);
      const { code } = readSignInMail(mails[0]!);
      const done = await verify(t.app, { email: 'newcomer@example.com', code }, cookies);
      assert.equal(done.statusCode, 204, done.body);
      const profile = await t.app.inject({ method: 'GET', url: '/users/me', cookies: cookiesOf(done, cookies) });
      assert.equal(profile.statusCode, 200);
      assert.deepEqual({ email: profile.json().email, verified: profile.json().is_verified }, { email: 'newcomer@example.com', verified: true });
      const password = await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'newcomer@example.com', password: PASSWORD }) });
      assert.equal(password.statusCode, 401, 'no password was set');
    } finally {
      await t.close();
    }
  });

  test('on, and the address registered meanwhile: that account is signed in, and the password its maker chose is retired', async () => {
    const t = await buildMailApp({ emailSignup: true });
    try {
      const { cookies } = await askByEmail(t.app, 'race@example.com');
      const { token } = readSignInMail((await t.mailsTo('race@example.com'))[0]!);
      assert.equal((await register(t.app, 'race@example.com')).statusCode, 201);
      assert.equal((await verify(t.app, { token: token! }, cookies)).statusCode, 204);
      assert.equal((await t.app.inject({ method: 'POST', url: '/token', ...form({ username: 'race@example.com', password: PASSWORD }) })).statusCode, 401);
    } finally {
      await t.close();
    }
  });
});
