/** Pure text helpers for the views (no DOM), unit-tested under test/web/. */

import type { SessionInfo } from '../src/core/account-service.js';
import { scopeInWords } from '../src/features/oauth-server/scope-words.js';

/** One session as `GET /users/me/sessions` returns it: the server's own type (type-only). */
export type { SessionInfo };

/** A short browser name from a User-Agent header, or the header itself when none is recognised. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const known: [RegExp, string][] = [
    [/Edg\//, 'Edge'],
    [/OPR\//, 'Opera'],
    [/Firefox\//, 'Firefox'],
    [/HeadlessChrome\//, 'Headless Chrome'],
    [/Chrome\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ];
  const platforms: [RegExp, string][] = [
    [/Android/, 'Android'],
    [/iPhone|iPad/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X/, 'macOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = known.find(([pattern]) => pattern.test(userAgent))?.[1];
  const platform = platforms.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
  return platform ? `${browser} on ${platform}` : browser;
}

/** `2030-01-01T10:00:00.000Z` as a date and time in the reader's locale; the input when unparsable. */
export function formatTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The second line of a session entry: where from and when. */
export function sessionDetails(session: SessionInfo, locale?: string): string {
  const parts = [`signed in ${formatTime(session.created_at, locale)}`, `last active ${formatTime(session.last_used_at, locale)}`];
  if (session.ip) parts.unshift(`from ${session.ip}`);
  return parts.join(' · ');
}

/** A WebAuthn prompt the user dismissed is not an error worth a technical message. */
export function describeWebAuthnError(error: unknown): string {
  if (error instanceof Error && error.name === 'NotAllowedError') return 'The passkey prompt was closed or timed out.';
  return error instanceof Error ? error.message : String(error);
}

/** One app as `GET /users/me/oauth-grants` returns it ("Connected apps", docs/oauth-server.md). */
export interface ConnectedApp {
  client_id: string;
  client_name: string | null;
  scopes: string[];
  created_at: string;
}

/** The app's name, or its client id when it registered none. */
export function connectedAppName(app: ConnectedApp): string {
  return app.client_name?.trim() || app.client_id;
}

/** The second line of a connected app: since when, and what it may do, each scope in words. */
export function connectedAppDetails(app: ConnectedApp, locale?: string): string {
  const since = `connected ${formatTime(app.created_at, locale)}`;
  if (app.scopes.length === 0) return since;
  const words = app.scopes.map((scope) => {
    const text = scopeInWords(scope);
    return text.charAt(0).toLowerCase() + text.slice(1);
  });
  return `${since} · it can ${words.join('; ')}`;
}
