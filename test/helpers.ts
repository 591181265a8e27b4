import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { DEFAULT_CSRF_COOKIE_NAME } from '../src/core/options.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastifyUsers, type FastifyUsersOptions } from '../src/http/plugin.js';
import { handleError } from '../src/http/reply-error.js';
import { SQLStore } from '../src/store/sql/sql-store.js';

/**
 * Cheap argon2id parameters for tests: the same code path at a fraction of the cost. One test
 * (test/core/password.test.ts) runs the real OWASP parameters.
 */
export const FAST_ARGON2 = { memoryCost: 256, timeCost: 1, parallelism: 1 };
export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';
export const PASSWORD = 'correct horse battery staple';

/** A temporary directory removed by `cleanup()`. */
export function tempDir(prefix = 'fastify-users-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestApp {
  app: FastifyInstance;
  store: SQLStore;
  close: () => Promise<void>;
}

/** The plugin on a real SQLite file in a temp folder, ready for `app.inject()`. */
export async function buildTestApp(options: Partial<FastifyUsersOptions> = {}): Promise<TestApp> {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  const app = Fastify({ logger: false, onProtoPoisoning: 'error', onConstructorPoisoning: 'error' });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, ...options });
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

/** Registers a user over HTTP and returns the response. */
export function register(app: FastifyInstance, email: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url: '/register', payload: { email, password } });
}

/** Logs in through `/token` and returns the bearer token (throws if it fails). */
export async function bearerToken(app: FastifyInstance, email: string, password = PASSWORD): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ username: email, password }).toString(),
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json().access_token;
}

/** Form-encodes an object for `application/x-www-form-urlencoded` requests. */
export function form(fields: Record<string, string>) {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

/**
 * Everything a client can observe of a response except `Date`. A fresh CSRF cookie, where one is
 * set, is random by design on every response (not a signal); its value is masked, its presence
 * and attributes still compared.
 */
export function observable(response: LightMyRequestResponse) {
  const { date: _date, 'set-cookie': setCookie, ...headers } = response.headers;
  const cookies = [setCookie ?? []].flat().map((c) =>
    c.startsWith(`${DEFAULT_CSRF_COOKIE_NAME}=`) ? c.replace(/^([^=]+)=[^;]*/, '$1=<random>') : c);
  return { status: response.statusCode, headers, cookies, body: response.rawPayload.toString('base64') };
}

/** The `Set-Cookie` headers of a response that set the cookie `name`. */
export function setCookiesNamed(response: LightMyRequestResponse, name: string): string[] {
  return [response.headers['set-cookie'] ?? []].flat().filter((c) => c.startsWith(`${name}=`));
}
