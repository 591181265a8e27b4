import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { join } from 'node:path';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

/** The plugin with no mailer, its log captured; runs a forgot-password and returns the log lines. */
async function forgotPasswordLog(options: Partial<FastifyUsersOptions>): Promise<string[]> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const dir = tempDir();
  const app = Fastify({ logger: { level: 'info', stream } });
  try {
    await app.register(fastifyUsers, {
      databaseUrl: `sqlite:${join(dir.path, 'auth.db')}`,
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      ...options,
    });
    await app.fastifyUsers.auth.register('alice@example.com', PASSWORD);
    const response = await app.inject({ method: 'POST', url: '/forgot-password', payload: { email: 'alice@example.com' } });
    assert.equal(response.statusCode, 202);
    await app.fastifyUsers.mailOutbox.drain();
  } finally {
    await app.close();
    dir.cleanup();
  }
  return lines;
}

describe('library mode without a mailer', () => {
  test('by default the log holds the recipient of each mail, never its link or token', async () => {
    const lines = await forgotPasswordLog({});
    assert.ok(
      lines.some((l) => l.includes('content withheld') && l.includes('alice@example.com')),
      'the mail is accounted for',
    );
    assert.ok(!lines.some((l) => /token=|reset-password\?/.test(l)), 'no link in the log');
    assert.ok(
      lines.some((l) => l.includes('NOT delivered')),
      'a warning at registration says so',
    );
  });

  test('logMailBody: true (development) writes the link, as the server does outside production', async () => {
    const lines = await forgotPasswordLog({ logMailBody: true });
    assert.ok(lines.some((l) => /reset-password\?token=[A-Za-z0-9_-]{43}/.test(l)));
    assert.ok(lines.some((l) => l.includes('links included') && l.includes('development only')));
  });
});
