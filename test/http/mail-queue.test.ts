import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Mailer, MailMessage } from '../../src/core/mail.js';
import { DEFAULT_MAIL_CONCURRENCY, DEFAULT_MAIL_DOMAIN_QUEUE_LIMIT } from '../../src/mail/outbox.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { register } from '../support/requests.js';

describe('the mail queue of the routes is bounded per recipient domain', () => {
  let t: TestApp;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sent: MailMessage[] = [];
  // An SMTP server that hangs: every delivery waits until the test releases it.
  const mailer: Mailer = {
    send: async (message) => {
      await gate;
      sent.push(message);
    },
  };

  before(async () => {
    t = await buildTestApp({ mailer, mailThrottle: async () => {} });
    for (let i = 0; i <= DEFAULT_MAIL_CONCURRENCY; i++) assert.equal((await register(t.app, `user${i}@flood.example`)).statusCode, 201);
    assert.equal((await register(t.app, 'alice@example.com')).statusCode, 201);
  });
  after(async () => {
    release();
    await t.close();
  });

  const forgot = (email: string) => t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email } });

  test('a flood for one domain fills only its share: later mail for that domain is dropped, other domains still get theirs', async () => {
    // The first mails hold every delivery slot; the unknown addresses wait behind them.
    for (let i = 0; i < DEFAULT_MAIL_CONCURRENCY; i++) assert.equal((await forgot(`user${i}@flood.example`)).statusCode, 202);
    for (let i = DEFAULT_MAIL_CONCURRENCY; i < DEFAULT_MAIL_DOMAIN_QUEUE_LIMIT; i++) assert.equal((await forgot(`nobody${i}@flood.example`)).statusCode, 202);
    const dropped = await forgot(`user${DEFAULT_MAIL_CONCURRENCY}@flood.example`);
    assert.equal(dropped.statusCode, 202, 'the answer does not change');
    assert.equal((await forgot('alice@example.com')).statusCode, 202);
    release();
    await t.app.fastifyUsers.mailOutbox.drain();
    const recipients = sent.map((m) => m.to);
    assert.ok(recipients.includes('alice@example.com'), 'another domain still gets its mail');
    assert.ok(recipients.includes('user0@flood.example'));
    assert.ok(!recipients.includes(`user${DEFAULT_MAIL_CONCURRENCY}@flood.example`), "beyond the domain's bound, dropped");
  });
});
