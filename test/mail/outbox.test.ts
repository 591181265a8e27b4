import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resetPasswordMail, type Mailer, type MailMessage } from '../../src/core/mail.js';
import { createLogMailer } from '../../src/mail/log-mailer.js';
import { MailOutbox } from '../../src/mail/outbox.js';

const TOKEN = 'T0kenT0kenT0kenT0kenT0kenT0kenT0kenT0kenT0k';
const MAIL = resetPasswordMail('alice@example.com', `https://auth.example.test/#/reset-password?token=${TOKEN}`, 3600);

function recorder() {
  const lines: Array<{ object: object; message: string }> = [];
  const push = (object: object, message: string) => lines.push({ object, message });
  return { lines, log: { info: push, warn: push }, text: () => JSON.stringify(lines) };
}

describe('mail delivery helpers', () => {
  test('the outbox logs a failed send with the recipient but never the body or the token', async () => {
    const { log, lines, text } = recorder();
    const failing: Mailer = {
      send: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNECTION' });
      },
    };
    const outbox = new MailOutbox(failing, log);
    outbox.enqueue(async () => MAIL);
    await outbox.drain();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.message, 'sending mail failed');
    assert.match(text(), /alice@example\.com/);
    assert.match(text(), /ECONNECTION/);
    assert.ok(!text().includes(TOKEN));
  });

  test('the outbox sends what compose returns, and nothing for null', async () => {
    const sent: MailMessage[] = [];
    const outbox = new MailOutbox(
      {
        send: async (m) => {
          sent.push(m);
        },
      },
      recorder().log,
    );
    outbox.enqueue(async () => MAIL);
    outbox.enqueue(async () => null);
    await outbox.drain();
    assert.deepEqual(sent, [MAIL]);
  });

  test('the log mailer withholds the link unless told to include the body', async () => {
    const dev = recorder();
    await createLogMailer(dev.log, { includeBody: true }).send(MAIL);
    assert.ok(dev.text().includes(TOKEN));
    const prod = recorder();
    await createLogMailer(prod.log).send(MAIL);
    assert.ok(!prod.text().includes(TOKEN));
    assert.match(prod.text(), /alice@example\.com/);
  });

  test('mail bodies: plain text and HTML carry the link; the HTML escapes what it embeds', () => {
    assert.ok(MAIL.text.includes(`token=${TOKEN}`));
    assert.ok(MAIL.html.includes(`token=${TOKEN}`));
    assert.match(MAIL.text, /1 hour/);
    const hostile = resetPasswordMail('a@example.com', 'https://x.test/#/r?token=<script>', 3600);
    assert.ok(!hostile.html.includes('<script>'));
  });
});

describe('mail outbox bounds', () => {
  test('beyond the queue limit, tasks are dropped with a warning instead of piling up', async () => {
    const { log, lines } = recorder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: MailMessage[] = [];
    const outbox = new MailOutbox(
      {
        send: async (m) => {
          await gate;
          sent.push(m);
        },
      },
      log,
      { concurrency: 1, queueLimit: 2 },
    );
    for (let i = 0; i < 5; i += 1) outbox.enqueue(async () => MAIL);
    release();
    await outbox.drain();
    assert.equal(sent.length, 2);
    assert.equal(lines.filter((l) => l.message === 'mail queue full: request dropped').length, 3);
  });

  test('one recipient domain cannot fill the queue: beyond its bound its tasks are dropped, logged with the domain only', async () => {
    const { log, lines, text } = recorder();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sent: MailMessage[] = [];
    const outbox = new MailOutbox(
      {
        send: async (m) => {
          await gate;
          sent.push(m);
        },
      },
      log,
      { concurrency: 1, queueLimit: 10, domainQueueLimit: 3 },
    );
    const mailTo = (to: string) => resetPasswordMail(to, `https://auth.example.test/#/reset-password?token=${TOKEN}`, 3600);
    for (let i = 0; i < 6; i += 1) outbox.enqueue(async () => mailTo(`victim${i}@Flood.Example`), { to: `victim${i}@Flood.Example` });
    outbox.enqueue(async () => mailTo('alice@example.com'), { to: 'alice@example.com' });
    release();
    await outbox.drain();
    assert.deepEqual(
      sent.map((m) => m.to),
      ['victim0@Flood.Example', 'victim1@Flood.Example', 'victim2@Flood.Example', 'alice@example.com'],
    );
    const drops = lines.filter((l) => l.message === 'mail queue full for the recipient domain: request dropped');
    assert.equal(drops.length, 3);
    assert.deepEqual(drops[0]!.object, { domain: 'flood.example', queued: 3 });
    assert.ok(!text().includes('victim') && !text().includes(TOKEN), 'neither the address nor a token is logged');

    outbox.enqueue(async () => mailTo('victim9@flood.example'), { to: 'victim9@flood.example' });
    await outbox.drain();
    assert.equal(sent.at(-1)!.to, 'victim9@flood.example', 'the bound counts waiting tasks, not a lifetime');
  });
});
