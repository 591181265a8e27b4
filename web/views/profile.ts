/** The profile view: GET /users/me, and the log-out button (POST /logout with the CSRF header). */
import { request, type PublicUser } from '../api.js';
import { byId, clearMessages, showError, showNotice } from '../ui.js';
import { showImpersonation } from './impersonation.js';

/** Fills the profile from the API; resolves to the user, or null when not logged in (401). */
export async function loadProfile(): Promise<PublicUser | null> {
  try {
    // During a support session the server adds who is impersonating (docs/audit.md).
    const user = await request<PublicUser & { impersonated_by?: number }>('/users/me');
    showImpersonation(user.impersonated_by);
    byId('profile-email').textContent = user.email;
    byId('profile-id').textContent = String(user.id);
    byId('profile-verified').textContent = user.is_verified ? 'yes' : 'no';
    byId('profile-superuser').textContent = user.is_superuser ? 'yes' : 'no';
    byId('verify-request').hidden = user.is_verified;
    return user;
  } catch (error) {
    if (error instanceof Error && 'status' in error && error.status === 401) return null;
    throw error;
  }
}

export function mountProfile(onLoggedOut: () => Promise<void>): void {
  const button = byId<HTMLButtonElement>('logout-button');
  button.addEventListener('click', () => {
    button.disabled = true;
    clearMessages();
    request<null>('/logout', { method: 'POST' })
      .then(async () => {
        await onLoggedOut();
        showNotice('You are logged out.');
      })
      .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        button.disabled = false;
      });
  });
}
