/** Where a sign-in lands when `next` is absent or unsafe. */
export const DEFAULT_NEXT = '/';

/**
 * The `next` path to redirect to after a sign-in, or `/`. Only a path that, resolved against the
 * service's own URL, stays on its origin: not `https://…`, `//…`, `/\…` (browsers read `\` as `/`),
 * `javascript:`, nor anything with control characters (OWASP Unvalidated Redirects and Forwards CS).
 */
export function safeNextPath(next: unknown, publicUrl: string): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return DEFAULT_NEXT;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return DEFAULT_NEXT;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next)) return DEFAULT_NEXT;
  const base = new URL(publicUrl);
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== base.origin) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}
