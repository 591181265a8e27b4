/** The signed-in devices: GET /users/me/sessions, "sign out this device" (DELETE …/{id}) and "sign out all others" (DELETE …/sessions). */
import { request, type SessionInfo } from '../api.js';
import { deviceName, sessionDetails } from '../format.js';
import { byId, clearMessages, showError, showNotice } from '../ui.js';

let onCurrentEnded: () => Promise<void> = async () => {};

/** Runs `action` with `button` disabled; an error becomes a message. */
function run(button: HTMLButtonElement, action: () => Promise<void>): void {
  button.disabled = true;
  clearMessages();
  action()
    .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
    .finally(() => {
      button.disabled = false;
    });
}

function entry(session: SessionInfo): HTMLLIElement {
  const item = document.createElement('li');
  const text = document.createElement('div');
  const name = document.createElement('div');
  name.className = 'device';
  name.id = `session-${session.id}`;
  name.textContent = deviceName(session.user_agent);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'this device';
    name.append(badge);
  }
  const details = document.createElement('div');
  details.className = 'details';
  details.textContent = sessionDetails(session);
  text.append(name, details);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = 'Sign out this device';
  button.setAttribute('aria-describedby', name.id);
  button.addEventListener('click', () => run(button, async () => {
    await request<null>(`/users/me/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
    // Ending the session in use is a logout (the server drops the cookie).
    if (session.current) {
      await onCurrentEnded();
      showNotice('You are logged out.');
      return;
    }
    await loadSessions();
    showNotice(`${deviceName(session.user_agent)} has been signed out.`);
  }));
  item.append(text, button);
  return item;
}

/** Fills the list (newest first, as the API sorts it); the text comes from the API, so only textContent is used. */
export async function loadSessions(): Promise<void> {
  const sessions = await request<SessionInfo[]>('/users/me/sessions');
  byId('sessions-list').replaceChildren(...sessions.map(entry));
  byId('sessions-revoke-others').hidden = sessions.length < 2;
}

/** `onLoggedOut` runs when this device's own session was ended from the list. */
export function mountSessions(onLoggedOut: () => Promise<void>): void {
  onCurrentEnded = onLoggedOut;
  const button = byId<HTMLButtonElement>('sessions-revoke-others');
  button.addEventListener('click', () => run(button, async () => {
    await request<null>('/users/me/sessions', { method: 'DELETE' });
    await loadSessions();
    showNotice('All your other devices have been signed out.');
  }));
}
