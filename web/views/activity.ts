/** "Recent security activity": GET /users/me/events, newest first, paged with `before` (docs/audit.md). */
import { request } from '../api.js';
import { deviceName, formatTime } from '../format.js';
import { byId, runBusy } from '../ui.js';

/** One event as the API answers it. */
export interface SecurityEvent {
  id: number;
  at: string;
  type: string;
  actor_user_id: number | null;
  subject_user_id: number | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
}

const PAGE = 10;

/** What each event type says to the user; an unknown type is shown as it is named. */
const LABELS: Record<string, string> = {
  'sign_in.succeeded': 'Signed in',
  'sign_in.failed': 'Failed sign-in attempt',
  sign_out: 'Signed out',
  'password.changed': 'Password changed',
  'password.reset': 'Password reset by email',
  'email.changed': 'Email address changed',
  'email.verified': 'Email address verified',
  'totp.enabled': 'Two-factor sign-in turned on',
  'totp.disabled': 'Two-factor sign-in turned off',
  'recovery_code.used': 'Recovery code used',
  'passkey.added': 'Passkey added',
  'passkey.removed': 'Passkey removed',
  'provider.linked': 'Account linked',
  'provider.unlinked': 'Account unlinked',
  'session.revoked': 'Devices signed out',
  'user.registered': 'Account created',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
  'admin.user_updated': 'Changed by an administrator',
  'impersonation.started': 'Support session started by an administrator',
  'impersonation.ended': 'Support session ended',
};

/** The line under an event's name: when, from where, and by whom when it was not the user. */
export function eventDetails(event: SecurityEvent, locale?: string): string {
  const parts = [formatTime(event.at, locale)];
  if (event.ip) parts.push(`from ${event.ip}`);
  if (event.user_agent) parts.push(deviceName(event.user_agent));
  const how = event.detail.method ?? event.detail.provider;
  if (typeof how === 'string') parts.push(how.replace(/_/g, ' '));
  if (event.actor_user_id !== null && event.actor_user_id !== event.subject_user_id) parts.push(`by administrator #${event.actor_user_id}`);
  return parts.join(' · ');
}

function entry(event: SecurityEvent): HTMLLIElement {
  const item = document.createElement('li');
  const text = document.createElement('div');
  const name = document.createElement('div');
  name.className = 'device';
  name.textContent = LABELS[event.type] ?? event.type;
  const details = document.createElement('div');
  details.className = 'details';
  details.textContent = eventDetails(event);
  text.append(name, details);
  item.append(text);
  return item;
}

let oldest: number | undefined;

async function loadPage(before?: number): Promise<void> {
  const query = before === undefined ? `?limit=${PAGE}` : `?limit=${PAGE}&before=${before}`;
  const events = await request<SecurityEvent[]>(`/users/me/events${query}`);
  const list = byId('events-list');
  if (before === undefined) list.replaceChildren(...events.map(entry));
  else list.append(...events.map(entry));
  oldest = events.at(-1)?.id ?? oldest;
  byId('events-more').hidden = events.length < PAGE;
}

/** Fills the list with the newest events (text only: every value comes from the API). */
export function loadActivity(): Promise<void> {
  oldest = undefined;
  return loadPage();
}

export function mountActivity(): void {
  const button = byId<HTMLButtonElement>('events-more');
  button.addEventListener('click', () => runBusy(button, () => loadPage(oldest)));
}
