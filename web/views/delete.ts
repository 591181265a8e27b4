/** Delete account: a confirm step (the password form is revealed first), then DELETE /users/me with the current password. */
import { request } from '../api.js';
import { byId, onSubmit, showNotice } from '../ui.js';

export function mountDelete(onDeleted: () => Promise<void>): void {
  const start = byId<HTMLButtonElement>('delete-start');
  const form = byId<HTMLFormElement>('delete-form');
  const toggle = (open: boolean, moveFocus = true): void => {
    form.hidden = !open;
    start.hidden = open;
    start.setAttribute('aria-expanded', String(open));
    if (!open) form.reset();
    if (moveFocus) (open ? byId('delete-password') : start).focus();
  };
  start.addEventListener('click', () => toggle(true));
  byId('delete-cancel').addEventListener('click', () => toggle(false));
  onSubmit(form, async ({ current_password = '' }) => {
    await request<null>('/users/me', { method: 'DELETE', json: { current_password } });
    toggle(false, false);
    await onDeleted();
    showNotice('Your account has been deleted.');
  });
}
