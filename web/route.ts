/**
 * Routing on the URL fragment. Mail links are `PUBLIC_URL/#/reset-password?token=…` and
 * `PUBLIC_URL/#/verify?token=…`: a fragment is never sent to a server, so the token stays out of
 * access logs and `Referer` headers (RFC 3986 §3.5; OWASP Forgot Password CS). Pure: no DOM.
 */

/** A parsed fragment: the view path (`/verify`, `''` for none) and the token, when there is one. */
export interface Route {
  path: string;
  token: string | null;
}

/** Tokens the server mints: 32 random bytes in base64url (43 characters). */
const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

/**
 * Parses `location.hash` (`#/verify?token=abc`, with or without the `#`). A token that is not
 * base64url is dropped rather than sent on: whatever a crafted link carries never reaches the API.
 */
export function parseRoute(hash: string): Route {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const query = fragment.indexOf('?');
  const rawPath = query === -1 ? fragment : fragment.slice(0, query);
  const path = rawPath === '' || rawPath === '/' ? '' : rawPath.replace(/\/+$/, '');
  const params = new URLSearchParams(query === -1 ? '' : fragment.slice(query + 1));
  const token = params.get('token');
  return { path, token: token !== null && TOKEN.test(token) ? token : null };
}

/** The current URL without its fragment: what the address bar shows once a token is read. */
export function withoutFragment(href: string): string {
  const index = href.indexOf('#');
  return index === -1 ? href : href.slice(0, index);
}

/**
 * Where a sign-in asked from elsewhere returns (`#/login?next=/oauth2/interaction/…`, sent by our
 * OAuth provider, docs/oauth-server.md): a path on this origin only — a full URL, `//host`, a
 * backslash or a control character is dropped, so a crafted link cannot send the user away
 * (OWASP Unvalidated Redirects CS).
 */
export function returnPathOf(hash: string): string | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const query = fragment.indexOf('?');
  if (query === -1) return null;
  const next = new URLSearchParams(fragment.slice(query + 1)).get('next');
  if (next === null || next.length > 2048 || !next.startsWith('/') || next.startsWith('//')) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\\\u0000-\u001f\u007f\s]/.test(next)) return null;
  return next;
}

/** Whether the fragment asks for a new sign-in even with a session (`fresh=1`: prompt=login or max_age). */
export function wantsFreshSignIn(hash: string): boolean {
  const query = hash.indexOf('?');
  return query !== -1 && new URLSearchParams(hash.slice(query + 1)).get('fresh') === '1';
}
