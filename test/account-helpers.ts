import type { FastifyInstance } from 'fastify';
import { createSMTPMailer } from '../src/mail/smtp-mailer.js';
import type { FastifyUsersOptions } from '../src/http/plugin.js';
import { buildTestApp, register, PASSWORD, bearerToken, type TestApp } from './helpers.js';
import { startSMTPServer, type ReceivedMail, type TestSMTPServer } from './mail-server.js';

export const PUBLIC_URL = 'https://auth.example.test';

/** A clock the tests move by hand. */
export interface TestClock {
  now: Date;
  advance(seconds: number): void;
}

export function testClock(start = '2030-01-01T00:00:00.000Z'): TestClock {
  const clock: TestClock = {
    now: new Date(start),
    advance(seconds) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  return clock;
}

export interface MailApp extends TestApp {
  smtp: TestSMTPServer;
  clock: TestClock;
  /** Waits for queued mail and returns what reached `address` so far. */
  mailsTo(address: string): Promise<ReceivedMail[]>;
}

/** The plugin with a real SMTP server behind its mailer, `PUBLIC_URL` set and an injected clock. */
export async function buildMailApp(options: Partial<FastifyUsersOptions> = {}): Promise<MailApp> {
  const smtp = await startSMTPServer();
  const clock = testClock();
  const t = await buildTestApp({
    publicUrl: PUBLIC_URL,
    mailer: await createSMTPMailer({ url: smtp.url, from: 'auth@example.test' }),
    now: () => clock.now,
    // These suites walk the flows many times per account; the default mail throttle has its own
    // test (pass `mailThrottle: undefined` to get it).
    mailThrottle: async () => {},
    ...options,
  });
  return {
    ...t,
    smtp,
    clock,
    mailsTo: async (address) => {
      await t.app.fastifyUsers.mailOutbox.drain();
      return smtp.messages.filter((m) => m.to.includes(address));
    },
    close: async () => {
      await t.close();
      await smtp.close();
    },
  };
}

/** Registers a user and returns a bearer token for them. */
export async function userWithToken(app: FastifyInstance, email: string, password = PASSWORD): Promise<string> {
  const response = await register(app, email, password);
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  return bearerToken(app, email, password);
}

/** `Authorization: Bearer …` headers. */
export function auth(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** `PATCH /users/me` with a new email, confirmed by the current password. */
export function changeEmail(app: FastifyInstance, token: string, email: string, currentPassword = PASSWORD) {
  return app.inject({ method: 'PATCH', url: '/users/me', headers: auth(token), payload: { email, current_password: currentPassword } });
}
