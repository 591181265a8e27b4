/** "Forgot your password?": POST /forgot-password. The answer is the same whether or not the account exists. */
import { request } from '../api.js';
import { byId, onSubmit, showNotice } from '../ui.js';

export function mountForgot(): void {
  const form = byId<HTMLFormElement>('forgot-form');
  onSubmit(form, async ({ email = '' }) => {
    await request<null>('/forgot-password', { method: 'POST', json: { email } });
    form.reset();
    // Enumeration-safe wording, like the API's 202 (OWASP Forgot Password CS).
    showNotice(`If an account exists for ${email}, a link to choose a new password has been mailed to it.`);
  });
}
