/**
 * What a client does, over `app.inject()` (an app) or `fetch` (a listening server's URL):
 * register, log in by bearer token or by cookie, and the headers that go with each.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { DEFAULT_CSRF_COOKIE_NAME } from '../../src/core/options.js';
import { PASSWORD } from './constants.js';
import { setCookies } from './cookies.js';

/** Form-encodes an object for `application/x-www-form-urlencoded` requests. */
export function form(fields: Record<string, string>) {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

/** `Authorization: Bearer …` headers. */
export function auth(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Registers a user over HTTP and returns the response. */
export function register(app: FastifyInstance, email: string, password = PASSWORD) {
  return app.inject({ method: 'POST', url: '/register', payload: { email, password } });
}

/** Logs in through `/token` and returns the bearer token (throws if it fails). */
export async function bearerToken(app: FastifyInstance, email: string, password = PASSWORD): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/token', ...form({ username: email, password }) });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json().access_token;
}

/** `PATCH /users/me` with a new email, confirmed by the current password. */
export function changeEmail(app: FastifyInstance, token: string, email: string, currentPassword = PASSWORD) {
  return app.inject({ method: 'PATCH', url: '/users/me', headers: auth(token), payload: { email, current_password: currentPassword } });
}

/** Registers a user and returns a bearer token for them. */
export async function userWithToken(app: FastifyInstance, email: string, password = PASSWORD): Promise<string> {
  const response = await register(app, email, password);
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  return bearerToken(app, email, password);
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

/**
 * Everything a client can observe of a response except `Date`. A fresh CSRF cookie, where one is
 * set, is random by design on every response (not a signal); its value is masked, its presence
 * and attributes still compared.
 */
export function observable(response: LightMyRequestResponse) {
  const { date: _date, 'set-cookie': setCookie, ...headers } = response.headers;
  const cookies = [setCookie ?? []].flat().map((c) => (c.startsWith(`${DEFAULT_CSRF_COOKIE_NAME}=`) ? c.replace(/^([^=]+)=[^;]*/, '$1=<random>') : c));
  return { status: response.statusCode, headers, cookies, body: response.rawPayload.toString('base64') };
}

/** `POST /token` on a listening server and returns the access token (throws otherwise). */
export async function login(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Registers on a listening server and returns a bearer token from `/token`. */
export async function registerAndLogin(url: string, email: string, password: string): Promise<string> {
  const registered = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  return login(url, email, password);
}
