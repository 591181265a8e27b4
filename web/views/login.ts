/** The log-in form: POST /login with a form body; the server answers with the auth cookie. */
import { request } from '../api.js';
import { byId, onSubmit } from '../ui.js';

export function mountLogin(onLoggedIn: () => Promise<void>): void {
  const form = byId<HTMLFormElement>('login-form');
  onSubmit(form, async ({ email = '', password = '' }) => {
    await request<null>('/login', { method: 'POST', form: { email, password } });
    form.reset();
    await onLoggedIn();
  });
}
