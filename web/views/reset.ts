/**
 * "Choose a new password", opened from the mailed `#/reset-password?token=…` link. The token is
 * kept in memory only (app.ts has already removed it from the address bar) and sent with the
 * new password to POST /reset-password.
 */
import { request, type PublicUser } from '../api.js';
import { byId, onSubmit, showNotice, showView } from '../ui.js';

let resetToken: string | null = null;

/** Shows the form for the token read from a reset link. */
export function showReset(token: string): void {
  resetToken = token;
  showView('reset');
  byId('reset-title').focus();
}

/** `onDone(email)` runs after a successful reset (the server signs every device out: no auto-login). */
export function mountReset(onDone: (email: string) => Promise<void>): void {
  const form = byId<HTMLFormElement>('reset-form');
  onSubmit(form, async ({ password = '' }) => {
    // A wrong password policy keeps the token usable (400 with the reason): the user retries here.
    const user = await request<PublicUser>('/reset-password', { method: 'POST', json: { token: resetToken ?? '', password } });
    resetToken = null;
    form.reset();
    await onDone(user.email);
    byId<HTMLInputElement>('login-email').value = user.email;
    showNotice('Your password has been changed. Log in with the new one.');
    byId<HTMLInputElement>('login-password').focus();
  });
}
