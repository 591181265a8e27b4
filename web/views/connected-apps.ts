/**
 * "Connected apps" (docs/oauth-server.md): the apps and devices signed in with this account
 * through our OAuth provider (GET /users/me/oauth-grants), each with "Disconnect"
 * (DELETE …/{client_id}: its consent and tokens end), and "Connect a device", the provider's page
 * for a device's code (RFC 8628). Shown only when the server runs the provider: without it the
 * list's route does not exist (404) and the section stays hidden.
 */
import { APIError, apiBase, request } from '../api.js';
import { type ConnectedApp, connectedAppDetails, connectedAppName } from '../format.js';
import { byId, listEntry, showNotice } from '../ui.js';

function entry(app: ConnectedApp, index: number): HTMLLIElement {
  const name = connectedAppName(app);
  return listEntry({
    // The client id is the app's, not ours to trust as an element id: the position is.
    id: `connected-app-${index}`,
    name,
    details: connectedAppDetails(app),
    action: 'Disconnect',
    onAction: async () => {
      await request<null>(`/users/me/oauth-grants/${encodeURIComponent(app.client_id)}`, { method: 'DELETE' });
      await loadConnectedApps();
      showNotice(`${name} is disconnected: its access to your account has ended.`);
    },
  });
}

/** Fills the list, or hides the section when the server has no provider. */
export async function loadConnectedApps(): Promise<void> {
  let apps: ConnectedApp[];
  try {
    apps = await request<ConnectedApp[]>('/users/me/oauth-grants');
  } catch (error) {
    if (error instanceof APIError && error.status === 404) {
      byId('connected-apps').hidden = true;
      return;
    }
    throw error;
  }
  byId('connected-apps-list').replaceChildren(...apps.map(entry));
  byId('connected-apps-empty').hidden = apps.length > 0;
  byId('connected-apps').hidden = false;
}

export function mountConnectedApps(): void {
  byId<HTMLAnchorElement>('connect-device').href = `${apiBase()}/oauth2/device`;
}
