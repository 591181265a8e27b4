/** Email verification: the "send verification mail" button (POST /request-verify-token) and the mailed `#/verify?token=…` link (POST /verify). */
import { request, type PublicUser } from '../api.js';
import { byId, clearMessages, showError, showNotice } from '../ui.js';

/** Redeems a verification token; the outcome is shown as a message either way. */
export async function verifyEmail(token: string): Promise<void> {
  try {
    const user = await request<PublicUser>('/verify', { method: 'POST', json: { token } });
    showNotice(`Your email ${user.email} is verified.`);
  } catch (error) {
    showError(error instanceof Error ? error.message : String(error));
  }
}

/** The button on the profile; `currentEmail()` is the address shown there. */
export function mountVerifyRequest(currentEmail: () => string): void {
  const button = byId<HTMLButtonElement>('verify-request');
  button.addEventListener('click', () => {
    button.disabled = true;
    clearMessages();
    const email = currentEmail();
    request<null>('/request-verify-token', { method: 'POST', json: { email } })
      .then(() => showNotice(`A verification link has been mailed to ${email}.`))
      .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        button.disabled = false;
      });
  });
}
