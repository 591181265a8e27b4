/** The signed-in devices: GET /users/me/sessions, "sign out this device" (DELETE …/{id}) and "sign out all others" (DELETE …/sessions). */
import { request, type SessionInfo } from '../api.js';
import { deviceName, sessionDetails } from '../format.js';
import { byId, listEntry, runBusy, showNotice } from '../ui.js';

let onCurrentEnded: () => Promise<void> = async () => {};

function entry(session: SessionInfo): HTMLLIElement {
  return listEntry({
    id: `session-${session.id}`,
    name: deviceName(session.user_agent),
    badge: session.current ? 'this device' : undefined,
    details: sessionDetails(session),
    action: 'Sign out this device',
    onAction: async () => {
      await request<null>(`/users/me/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
      // Ending the session in use is a logout (the server drops the cookie).
      if (session.current) {
        await onCurrentEnded();
        showNotice('You are logged out.');
        return;
      }
      await loadSessions();
      showNotice(`${deviceName(session.user_agent)} has been signed out.`);
    },
  });
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
  button.addEventListener('click', () =>
    runBusy(button, async () => {
      await request<null>('/users/me/sessions', { method: 'DELETE' });
      await loadSessions();
      showNotice('All your other devices have been signed out.');
    }),
  );
}
