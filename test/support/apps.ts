/**
 * The plugin in a Fastify app on a real SQLite file (or a PostgreSQL database the caller made),
 * for `app.inject()`: plain, with a host route, or with a real SMTP server and a clock the test
 * moves.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { createSMTPMailer } from '../../src/mail/smtp-mailer.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { FAST_ARGON2, TEST_SECRET } from './constants.js';
import { startSMTPServer, type ReceivedMail, type TestSMTPServer } from './mail.js';
import { migratedSqliteURL } from './migrated-sqlite.js';
import { tempDir } from './temp.js';

export interface TestApp {
  app: FastifyInstance;
  store: SQLStore;
  close: () => Promise<void>;
}

/** Host routes to add before `ready()`, as an application would beside the plugin. */
type HostRoutes = (app: FastifyInstance) => void;

/** Where an app's store lives: a SQLite file's `path`, or a `databaseUrl`; default a new SQLite file. */
export interface TestAppDatabase {
  path?: string;
  databaseUrl?: string;
}

async function pluginApp(options: Partial<FastifyUsersOptions>, hostRoutes?: HostRoutes, at: TestAppDatabase = {}): Promise<TestApp> {
  const given = at.databaseUrl ?? (at.path === undefined ? undefined : `sqlite:${at.path}`);
  const dir = given === undefined ? tempDir() : { path: '', cleanup: () => {} };
  const store = await SQLStore.open(given ?? (await migratedSqliteURL(dir)));
  const app = Fastify({ logger: false, onProtoPoisoning: 'error', onConstructorPoisoning: 'error' });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, ...options });
  hostRoutes?.(app);
  await app.ready();
  return {
    app,
    store,
    close: async () => {
      await app.close();
      await store.close();
      dir.cleanup();
    },
  };
}

/**
 * The plugin on a real SQLite file in a temp folder, ready for `app.inject()`; or on the file
 * `at.path`, or the database `at.databaseUrl` (e.g. from `freshDatabase()` in databases.ts), for another instance
 * on the same database (the caller removes it).
 */
export function buildTestApp(options: Partial<FastifyUsersOptions> = {}, at: TestAppDatabase = {}): Promise<TestApp> {
  return pluginApp(options, undefined, at);
}

/** A host app with the plugin, one host route (`POST /host/action`) that counts its calls and a public page (`GET /host/page`). */
export interface HostTestApp extends TestApp {
  hostCalls: () => number;
}

export async function buildHostApp(options: Partial<FastifyUsersOptions> = {}): Promise<HostTestApp> {
  let calls = 0;
  const t = await pluginApp(options, (app) => {
    app.post('/host/action', { preHandler: app.authenticate }, async () => {
      calls += 1;
      return { ok: true };
    });
    app.get('/host/page', async () => ({ page: 'public' }));
  });
  return { ...t, hostCalls: () => calls };
}

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
