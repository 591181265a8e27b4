import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH } from '../../src/core/account-tokens.js';
import { buildServer, readConfig } from '../../src/server.js';
import { PASSWORD, TEST_SECRET } from '../support/constants.js';
import { startSMTPServer, tokenFromMail } from '../support/mail.js';

/** A pino destination that keeps every line. */
function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, logger: { level: 'info', stream } };
}

async function forgot(env: Record<string, string>, logger: object) {
  const app = await buildServer(readConfig({ DATABASE_URL: 'sqlite::memory:', SECRET_KEY: TEST_SECRET, ...env }), { logger });
  try {
    assert.equal((await app.inject({ method: 'POST', url: '/register', payload: { email: 'alice@example.com', password: PASSWORD } })).statusCode, 201);
    const response = await app.inject({ method: 'POST', url: '/forgot-password', headers: { host: 'evil.example' }, payload: { email: 'alice@example.com' } });
    assert.equal(response.statusCode, 202);
    await app.fastifyUsers.mailOutbox.drain();
  } finally {
    await app.close();
  }
}

describe('server mail wiring (SMTP_URL, MAIL_FROM, PUBLIC_URL)', () => {
  test('with SMTP_URL the mail goes over SMTP from MAIL_FROM with a PUBLIC_URL link', async () => {
    const smtp = await startSMTPServer();
    try {
      await forgot({ SMTP_URL: smtp.url, MAIL_FROM: 'accounts@example.test', PUBLIC_URL: 'https://id.example.test/' }, logSink().logger);
      assert.equal(smtp.messages.length, 1);
      assert.equal(smtp.messages[0]!.from, 'accounts@example.test');
      assert.deepEqual(smtp.messages[0]!.to, ['alice@example.com']);
      const { link } = tokenFromMail(smtp.messages[0]!, RESET_PASSWORD_LINK_PATH);
      assert.ok(link.startsWith('https://id.example.test/#/reset-password?token='), link);
    } finally {
      await smtp.close();
    }
  });

  test('PUBLIC_URL defaults to http://HOST:PORT, never the Host header', async () => {
    const sink = logSink();
    await forgot({ HOST: '127.0.0.1', PORT: '8123' }, sink.logger);
    const mail = sink.lines.find((l) => l.includes('reset-password?token='));
    assert.ok(mail, 'the development log holds the mail');
    assert.match(mail, /http:\/\/127\.0\.0\.1:8123\/#\/reset-password\?token=[A-Za-z0-9_-]{43}/);
    assert.ok(!mail.includes('evil.example'));
    assert.ok(
      sink.lines.some((l) => /SMTP_URL is not set/.test(l) && /development/.test(l)),
      'a warning at start',
    );
  });

  test('in production without SMTP_URL the log never holds the token', async () => {
    const sink = logSink();
    await forgot({ NODE_ENV: 'production', PUBLIC_URL: 'https://id.example.test' }, sink.logger);
    assert.ok(sink.lines.some((l) => l.includes('content withheld')));
    assert.ok(!sink.lines.some((l) => l.includes('token=')));
  });

  test('a malformed SMTP_URL is a configuration error naming the variable', () => {
    assert.throws(() => readConfig({ SMTP_URL: 'http://mail.example' }), /SMTP_URL/);
  });
});
