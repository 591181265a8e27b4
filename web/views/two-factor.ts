/**
 * Two-factor sign-in (TOTP): the status, set-up (secret, otpauth:// link and QR code, first
 * code), the recovery codes shown once with a copy button, and turning it off.
 * Routes: GET/POST/DELETE /users/me/totp, POST /users/me/totp/confirm.
 */
import { request } from '../api.js';
import { qrSVG } from '../qr.js';
import { byId, onSubmit, showNotice } from '../ui.js';

interface TOTPStatus {
  enabled: boolean;
  recovery_codes_left: number;
}

/** Shows whether TOTP is on and the matching form. */
export async function loadTwoFactor(): Promise<void> {
  const status = await request<TOTPStatus>('/users/me/totp');
  byId('totp-status').textContent = status.enabled
    ? `Two-factor sign-in is on. ${status.recovery_codes_left} recovery codes left.`
    : 'Two-factor sign-in is off.';
  byId('totp-start-form').hidden = status.enabled;
  byId('totp-disable-form').hidden = !status.enabled;
  if (status.enabled) byId('totp-setup').hidden = true;
}

export function mountTwoFactor(onChanged: () => Promise<void>): void {
  const startForm = byId<HTMLFormElement>('totp-start-form');
  onSubmit(startForm, async ({ current_password: currentPassword = '' }) => {
    const enrolment = await request<{ secret: string; otpauth_url: string }>('/users/me/totp', { method: 'POST', json: { current_password: currentPassword } });
    startForm.reset();
    byId('totp-secret').textContent = enrolment.secret;
    byId<HTMLAnchorElement>('totp-link').href = enrolment.otpauth_url;
    byId('totp-qr').replaceChildren(qrSVG(enrolment.otpauth_url, 'QR code of the set-up link, for an authenticator app'));
    byId('totp-recovery').hidden = true;
    byId('totp-setup').hidden = false;
    byId('totp-setup-title').focus();
  });

  const confirmForm = byId<HTMLFormElement>('totp-confirm-form');
  onSubmit(confirmForm, async ({ code = '' }) => {
    const { recovery_codes: codes } = await request<{ recovery_codes: string[] }>('/users/me/totp/confirm', { method: 'POST', json: { code: code.trim() } });
    confirmForm.reset();
    byId('totp-setup').hidden = true;
    byId('totp-recovery-list').replaceChildren(
      ...codes.map((c) => {
        const item = document.createElement('li');
        item.textContent = c;
        return item;
      }),
    );
    byId('totp-recovery').hidden = false;
    await onChanged();
    showNotice('Two-factor sign-in is on. Your other devices have been signed out.');
    byId('totp-recovery-title').focus();
  });

  const copy = byId<HTMLButtonElement>('totp-recovery-copy');
  copy.addEventListener('click', () => {
    const text = [...byId('totp-recovery-list').children].map((item) => item.textContent).join('\n');
    navigator.clipboard.writeText(text).then(
      () => showNotice('The recovery codes are copied.'),
      () => showNotice('Copying is not allowed here: select the codes and copy them by hand.'),
    );
  });

  const disableForm = byId<HTMLFormElement>('totp-disable-form');
  onSubmit(disableForm, async ({ current_password: currentPassword = '', code = '' }) => {
    await request<null>('/users/me/totp', { method: 'DELETE', json: { current_password: currentPassword, code: code.trim() } });
    disableForm.reset();
    byId('totp-recovery').hidden = true;
    await onChanged();
    showNotice('Two-factor sign-in is off.');
  });
}
