/**
 * The page's only door to the API: `fetch` with `credentials: "include"` (the auth cookie travels,
 * also from another origin listed in CORS_ORIGINS) and the CSRF header echoed from the cookie, or
 * from `GET /csrf` on another origin — the double submit the server checks on every unsafe request
 * made with the auth cookie.
 */

/** The public user as the API returns it: the server's own type (type-only, erased from the bundle). */
export type { PublicUser } from '../src/core/user.js';

/** A failed API call, with a sentence made from the response's `detail`. */
export class APIError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'APIError';
    this.status = status;
    this.code = code;
  }
}

const CSRF_HEADER = 'x-csrftoken';

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content.trim() ?? '';
}

/**
 * Base URL of the API: `<meta name="api-base">`, or this page's origin when empty. Deliberately
 * not taken from the query string: a link could then make the page post passwords elsewhere.
 */
export function apiBase(): string {
  return meta('api-base').replace(/\/+$/, '');
}

/** The CSRF token from its cookie (not HttpOnly by design), or null before the first response. */
export function readCSRFToken(): string | null {
  const name = meta('csrf-cookie') || 'csrftoken';
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

/**
 * The token for the `x-csrftoken` header. On the API's own origin, the cookie's, or `GET /csrf`'s
 * when there is no cookie (the server mints it on its own routes only, not on this page's
 * response). A copy of the page on another origin (`api-base` set) always asks `GET /csrf`: on
 * another host of the same site it cannot see the API host's cookie, and a `csrftoken` it can see
 * would be its own host's (docs/clients.md). Null when there is none to send: the server then decides.
 */
async function csrfToken(): Promise<string | null> {
  const base = apiBase();
  if (!base) return readCSRFToken() ?? (await fetchCSRFToken(''));
  return fetchCSRFToken(base);
}

/** The token from `GET <base>/csrf`, which also sets it as the cookie; null when it cannot be had. */
async function fetchCSRFToken(base: string): Promise<string | null> {
  try {
    const response = await fetch(`${base}/csrf`, { headers: { accept: 'application/json' }, credentials: 'include' });
    if (!response.ok) return null;
    const body = (await response.json()) as { csrf_token?: unknown };
    return typeof body.csrf_token === 'string' ? body.csrf_token : null;
  } catch {
    return null;
  }
}

/** `detail` as one readable sentence: a string as is, FastAPI's 422 list as "field: message" lines. */
export function describeDetail(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item: { loc?: unknown[]; msg?: string }) => {
        const field = Array.isArray(item.loc) ? item.loc.filter((part) => part !== 'body').join('.') : '';
        return field ? `${field}: ${item.msg ?? 'invalid'}` : (item.msg ?? 'invalid');
      })
      .join('\n');
  }
  return 'Unexpected error';
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (the /login and /token routes). */
  form?: Record<string, string>;
}

/** Calls the API; resolves with the parsed body (or null for 204), rejects with {@link APIError}. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | URLSearchParams | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = new URLSearchParams(options.form);
  }
  if (method !== 'GET') {
    const token = await csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let response: Response;
  try {
    response = await fetch(`${apiBase()}${path}`, { method, headers, body, credentials: 'include' });
  } catch {
    throw new APIError(0, 'The server could not be reached.');
  }
  if (response.status === 204) return null as T;
  const data: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data ?? {}) as { detail?: unknown; code?: string };
    throw new APIError(response.status, describeDetail(error.detail ?? response.statusText), error.code);
  }
  return data as T;
}

export type { SessionInfo } from './format.js';
