/** The banner of a support session (docs/audit.md, "Impersonation"): who is acting, and "Stop" (POST /users/me/impersonation/stop). */
import { request } from '../api.js';
import { byId, runBusy, showNotice } from '../ui.js';

/** Shows the banner when the session is an impersonation (`impersonated_by` from GET /users/me), hides it otherwise. */
export function showImpersonation(impersonatedBy: number | undefined): void {
  byId('impersonation-banner').hidden = impersonatedBy === undefined;
  byId('impersonation-by').textContent = impersonatedBy === undefined ? '' : `#${impersonatedBy}`;
}

/** `onStopped` runs once the session has ended (the server dropped the cookie: the page is signed out). */
export function mountImpersonation(onStopped: () => Promise<void>): void {
  const button = byId<HTMLButtonElement>('impersonation-stop');
  button.addEventListener('click', () =>
    runBusy(button, async () => {
      await request<null>('/users/me/impersonation/stop', { method: 'POST' });
      await onStopped();
      showNotice('The support session has ended. Sign in with your own account to continue.');
    }),
  );
}
