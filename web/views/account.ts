/** Change email and change password: PATCH /users/me, both with the current password (re-authentication, ASVS 2.1.5). */
import { request, type PublicUser } from '../api.js';
import { byId, onSubmit, showNotice } from '../ui.js';

/** `onChanged` reloads the profile and the sessions (a new password signs the other devices out). */
export function mountAccountForms(onChanged: () => Promise<void>): void {
  const emailForm = byId<HTMLFormElement>('email-form');
  onSubmit(emailForm, async ({ email = '', current_password = '' }) => {
    const user = await request<PublicUser>('/users/me', { method: 'PATCH', json: { email, current_password } });
    emailForm.reset();
    await onChanged();
    showNotice(`Your email is now ${user.email}. It needs to be verified again.`);
  });

  const passwordForm = byId<HTMLFormElement>('password-form');
  onSubmit(passwordForm, async ({ password = '', current_password = '' }) => {
    await request<PublicUser>('/users/me', { method: 'PATCH', json: { password, current_password } });
    passwordForm.reset();
    await onChanged();
    showNotice('Your password has been changed. Your other devices have been signed out.');
  });
}
