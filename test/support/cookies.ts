/**
 * The `Set-Cookie` headers of a response, read one way for every test: by name, with the value
 * (URL-decoded, as a browser would send it back) and the raw header (to check attributes).
 */
import type { LightMyRequestResponse } from 'fastify';

/** One `Set-Cookie` header: the cookie's name and value, and the header as sent. */
export interface SetCookie {
  name: string;
  value: string;
  raw: string;
}

type WithHeaders = Pick<LightMyRequestResponse, 'headers'>;

/** Every `Set-Cookie` header of a response, in order. */
export function parseSetCookies(response: WithHeaders): SetCookie[] {
  return [response.headers['set-cookie'] ?? []].flat().map((raw) => {
    const [pair = ''] = String(raw).split(';');
    const index = pair.indexOf('=');
    return { name: pair.slice(0, index), value: decodeURIComponent(pair.slice(index + 1)), raw: String(raw) };
  });
}

/** The `Set-Cookie` headers of a response, by cookie name (the last one wins): value and the raw header. */
export function setCookies(response: WithHeaders): Map<string, { value: string; raw: string }> {
  return new Map(parseSetCookies(response).map(({ name, value, raw }) => [name, { value, raw }]));
}

/** The raw `Set-Cookie` headers of a response that set the cookie `name`. */
export function setCookiesNamed(response: WithHeaders, name: string): string[] {
  return parseSetCookies(response)
    .filter((cookie) => cookie.name === name)
    .map((cookie) => cookie.raw);
}

/** The raw `Set-Cookie` header that sets `name`, if any. */
export function setCookieHeader(response: WithHeaders, name: string): string | undefined {
  return setCookiesNamed(response, name)[0];
}

/** The value a response set for the cookie `name` (throws when it set none). */
export function cookieValue(response: WithHeaders, name: string): string {
  const cookie = parseSetCookies(response).find((c) => c.name === name);
  if (!cookie) throw new Error(`no Set-Cookie for ${name} (status ${(response as { statusCode?: number }).statusCode})`);
  return cookie.value;
}
