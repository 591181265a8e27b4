import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { SessionCache } from '../../src/core/session-cache.js';
import { auth } from './requests.js';
import { ROOT } from './constants.js';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { buildTestApp, type TestApp } from './apps.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from './constants.js';
import { bearerToken, register } from './requests.js';
import { SOURCE_CLI } from './processes.js';
import { tempDir } from './temp.js';
import { internalsOf } from './internals.js';

/** The cache of an app's plugin (the tests need it on). */
export function cacheOf(app: FastifyInstance): SessionCache {
  const sessions = internalsOf(app).auth.sessions;
  assert.ok(sessions, 'the session cache is on');
  return sessions;
}

/** GET /users/me with a bearer token. */
export function me(app: FastifyInstance, token: string) {
  return app.inject({ method: 'GET', url: '/users/me', headers: auth(token) });
}

/** Makes sure `token` is served from the cache: a first request fills it, the second must be a hit. */
export async function warm(app: FastifyInstance, token: string): Promise<void> {
  assert.equal((await me(app, token)).statusCode, 200);
  const hits = cacheOf(app).stats.hits;
  assert.equal((await me(app, token)).statusCode, 200);
  assert.equal(cacheOf(app).stats.hits, hits + 1, 'the second request was answered from the cache');
}

/** Registers `email` (optionally as superuser) and returns `count` bearer tokens. */
export async function userWithTokens(app: FastifyInstance, email: string, count: number, extra: { superuser?: boolean } = {}): Promise<string[]> {
  if (extra.superuser) await app.fastifyUsers.auth.register(email, PASSWORD, { isSuperuser: true });
  else assert.equal((await register(app, email)).statusCode, 201);
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) tokens.push(await bearerToken(app, email));
  return tokens;
}

/** Two instances of the plugin (two apps, two stores, two caches) on one SQLite file. */
export async function twoInstancesOnOneFile(): Promise<{ a: TestApp; b: TestApp; path: string; close(): Promise<void> }> {
  const dir = tempDir();
  const path = join(dir.path, 'auth.db');
  const a = await buildTestApp({}, { path });
  const b = await buildTestApp({}, { path });
  return {
    a,
    b,
    path,
    close: async () => {
      await a.close();
      await b.close();
      dir.cleanup();
    },
  };
}

/**
 * Polls `request` until it returns `expected`, failing if an answer other than `expected` comes to
 * a request sent `withinMs` or more after `since`: the guarantee is about requests that arrive
 * after the window, however slow the machine is at answering them.
 */
export async function refusedWithin(request: () => Promise<number>, since: number, withinMs = 1000, expected = 401): Promise<number> {
  for (;;) {
    const sent = performance.now();
    const status = await request();
    if (status === expected) return sent - since;
    assert.ok(sent - since < withinMs, `a request sent ${Math.round(sent - since)} ms after the change still got ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The plugin opening its own database from a URL (as a library user on PostgreSQL would). */
export async function pluginApp(options: Partial<FastifyUsersOptions>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, ...options });
  await app.ready();
  return app;
}

/** Waits (up to `timeoutMs`) until `condition` holds. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    assert.ok(performance.now() < deadline, `timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs the real CLI (another process) with `env` added; resolves with its exit code and output. */
export function runCLI(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SOURCE_CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
