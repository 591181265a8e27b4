/** Where a sign-in lands when `next` is absent or unsafe. */
export const DEFAULT_NEXT = '/';

/**
 * The `next` path to redirect to after a sign-in, or `/`. Only a path that, resolved against the
 * service's own URL, stays on its origin: not `https://…`, `//…`, `/\…` (browsers read `\` as `/`),
 * `javascript:`, nor anything with control characters (OWASP Unvalidated Redirects and Forwards CS).
 *
 * The answer is the *resolved* path, never the raw input, and it must resolve to itself: dot
 * segments are removed by the URL parser (RFC 3986 §5.2.4), so `/..//evil` or `/%2e%2e//evil`
 * would become `//evil`, which a browser reads as another host. Testing the origin alone is not
 * enough; what we redirect to is tested too.
 */
export function safeNextPath(next: unknown, publicUrl: string): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return DEFAULT_NEXT;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return DEFAULT_NEXT;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next)) return DEFAULT_NEXT;
  const base = new URL(publicUrl);
  const resolved = resolve(next, base);
  if (!resolved || resolved.origin !== base.origin) return DEFAULT_NEXT;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // What the browser will do with our Location header: resolve it against this origin. It must
  // land exactly where we checked, on this origin (a path such as `//evil` does not).
  if (path.startsWith('//') || resolve(path, base)?.href !== resolved.href) return DEFAULT_NEXT;
  return path;
}

function resolve(path: string, base: URL): URL | null {
  try {
    return new URL(path, base);
  } catch {
    return null;
  }
}
