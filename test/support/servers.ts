/**
 * The whole service as `npm start` builds it (readConfig + buildServer: error format, 404s,
 * trustProxy, logger), in this process: for `app.inject()`, or listening on 127.0.0.1 with a real
 * SMTP server behind it for the browser tests.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { buildServer, readConfig, type BuildServerOverrides } from '../../src/server.js';
import { FAST_ARGON2, TEST_SECRET } from './constants.js';
import { startSMTPServer, tokenFromMail, type TestSMTPServer } from './mail.js';
import { sqliteURL, tempDir } from './temp.js';

export interface TestServer {
  app: FastifyInstance;
  close: () => Promise<void>;
}

/** The service on a SQLite file in a temp folder (unless `env` names a database), with fast argon2 parameters. */
export async function buildTestServer(env: Record<string, string> = {}, overrides: BuildServerOverrides = { logger: false }): Promise<TestServer> {
  const dir = tempDir();
  let app: FastifyInstance;
  try {
    const config = readConfig({ SECRET_KEY: TEST_SECRET, DATABASE_URL: sqliteURL(dir), ...env });
    config.auth.argon2 = FAST_ARGON2;
    config.auth.unsafeArgon2ForTests = true;
    app = await buildServer(config, overrides);
  } catch (error) {
    dir.cleanup();
    throw error;
  }
  return {
    app,
    close: async () => {
      await app.close();
      dir.cleanup();
    },
  };
}

export interface PageServer {
  app: FastifyInstance;
  smtp: TestSMTPServer;
  /** `http://127.0.0.1:<port>` (or the hostname asked for): PUBLIC_URL, the page's origin and the base of every mailed link. */
  url: string;
  /** Every request URL the HTTP server received (to show that tokens never reach it in a URL). */
  requestedUrls: string[];
  /** Waits for queued mail, then the token link of the newest mail to `address` matching `path`. */
  mailedLink(
    address: string,
    path: '/#/reset-password?token=' | '/#/verify?token=' | '/#/email-sign-in?token=' | '/#/invitations/accept?token=',
  ): Promise<{ link: string; token: string }>;
  close(): Promise<void>;
}

/** A port that was free a moment ago (the server must know its URL before it listens). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface PageServerOptions {
  /** The name in PUBLIC_URL (default 127.0.0.1). */
  hostname?: string;
  /** Replaces the server's clock, so a test can move it past a time window. */
  now?: () => Date;
  /** More settings, as environment variables (e.g. OAUTH_* for a provider). */
  env?: Record<string, string>;
}

async function listenOnce(databaseUrl: string, smtpUrl: string, hostname: string, extra: PageServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const port = await freePort();
  const url = `http://${hostname}:${port}`;
  const config = readConfig({
    DATABASE_URL: databaseUrl,
    SECRET_KEY: TEST_SECRET,
    COOKIE_SECURE: 'false', // plain HTTP, as in development
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'auth@example.test',
    LOG_LEVEL: 'silent',
    ...extra.env,
  });
  config.auth.argon2 = FAST_ARGON2;
  config.auth.unsafeArgon2ForTests = true;
  if (extra.now) config.auth.now = extra.now;
  const app = await buildServer(config, { logger: false });
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, url };
}

/**
 * The service for browser tests of mailed links: a real SMTP server behind it and `PUBLIC_URL`
 * equal to its own address, so a link read from a received mail opens this very page — and the
 * page, visited at exactly that origin, passes the Origin check (`PUBLIC_URL` is the server's own
 * origin). Another process taking the probed port in between is retried. `hostname` names the
 * server in PUBLIC_URL (it always listens on 127.0.0.1): `localhost` for passkeys, as WebAuthn
 * refuses an IP address as RP ID and http://localhost is a secure context.
 */
export async function startPageServer(options: PageServerOptions = {}): Promise<PageServer> {
  const dir = tempDir();
  const smtp = await startSMTPServer();
  const databaseUrl = sqliteURL(dir);
  let started: { app: FastifyInstance; url: string } | undefined;
  for (let attempt = 1; !started; attempt += 1) {
    try {
      started = await listenOnce(databaseUrl, smtp.url, options.hostname ?? '127.0.0.1', options);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt === 3) {
        await smtp.close();
        dir.cleanup();
        throw error;
      }
    }
  }
  const { app, url } = started;
  const requestedUrls: string[] = [];
  app.server.on('request', (request: IncomingMessage) => requestedUrls.push(request.url ?? ''));
  return {
    app,
    smtp,
    url,
    requestedUrls,
    mailedLink: async (address, path) => {
      await app.fastifyUsers.mailOutbox.drain();
      const mails = smtp.messages.filter((mail) => mail.to.includes(address) && mail.decoded.includes(path));
      const newest = mails.at(-1);
      if (!newest) throw new Error(`no mail with ${path} reached ${address}`);
      return tokenFromMail(newest, path);
    },
    close: async () => {
      await app.close();
      await smtp.close();
      dir.cleanup();
    },
  };
}
