/** The registration form: POST /register with JSON; then the user logs in with the same form values. */
import { request, type PublicUser } from '../api.js';
import { byId, onSubmit, showNotice } from '../ui.js';

export function mountRegister(): void {
  const form = byId<HTMLFormElement>('register-form');
  onSubmit(form, async ({ email = '', password = '' }) => {
    const user = await request<PublicUser>('/register', { method: 'POST', json: { email, password } });
    form.reset();
    byId<HTMLInputElement>('login-email').value = user.email;
    showNotice(`Account created for ${user.email}. You can log in now.`);
    byId<HTMLInputElement>('login-password').focus();
  });
}
