/** Helpers for the CSRF / Origin / CORS tests: cookies out of responses, a logged-in session. */
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { join } from 'node:path';
import { fastifyUsers, type FastifyUsersOptions } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { FAST_ARGON2, form, PASSWORD, register, tempDir, TEST_SECRET, type TestApp } from '../helpers.js';

/** The `Set-Cookie` headers of a response, by cookie name: value and the raw header. */
export function setCookies(response: LightMyRequestResponse): Map<string, { value: string; raw: string }> {
  const cookies = new Map<string, { value: string; raw: string }>();
  for (const raw of [response.headers['set-cookie'] ?? []].flat()) {
    const [pair = ''] = raw.split(';');
    const index = pair.indexOf('=');
    cookies.set(pair.slice(0, index), { value: decodeURIComponent(pair.slice(index + 1)), raw });
  }
  return cookies;
}

/** A host app with the plugin and one host route (`POST /host/action`) that counts its calls. */
export interface HostTestApp extends TestApp {
  hostCalls: () => number;
}

export async function buildHostApp(options: Partial<FastifyUsersOptions> = {}): Promise<HostTestApp> {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  const app = Fastify({ logger: false });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, ...options });
  let calls = 0;
  app.post('/host/action', { preHandler: app.authenticate }, async () => {
    calls += 1;
    return { ok: true };
  });
  await app.ready();
  return {
    app,
    store,
    hostCalls: () => calls,
    close: async () => {
      await app.close();
      await store.close();
      dir.cleanup();
    },
  };
}

/** A browser session: the auth cookie and the CSRF token the login handed out. */
export interface BrowserSession {
  token: string;
  csrf: string;
  /** `cookie` header value carrying both cookies. */
  cookie: string;
}

/** Registers (if needed) and logs in through `/login`, returning the cookies a browser would hold. */
export async function browserLogin(app: FastifyInstance, email: string, names = { auth: 'token', csrf: 'csrftoken' }): Promise<BrowserSession> {
  await register(app, email);
  const response = await app.inject({ method: 'POST', url: '/login', ...form({ email, password: PASSWORD }) });
  if (response.statusCode !== 204) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const cookies = setCookies(response);
  const token = cookies.get(names.auth)?.value;
  const csrf = cookies.get(names.csrf)?.value;
  if (!token || !csrf) throw new Error('login did not set both cookies');
  return { token, csrf, cookie: `${names.auth}=${token}; ${names.csrf}=${csrf}` };
}
