/**
 * The log-in form: POST /login with a form body; the server answers with the auth cookie. An
 * account with two-factor sign-in answers LOGIN_OTP_REQUIRED and a pending-sign-in cookie: the
 * one-time-code step then finishes with POST /login/otp (the password is not kept meanwhile).
 */
import { APIError, request } from '../api.js';
import { byId, onSubmit, showNotice } from '../ui.js';

/**
 * Shows the one-time-code step in place of the log-in form. Also the page's `#/otp` route, where
 * a sign-in through another identity provider lands when the account has two-factor sign-in
 * (its pending-sign-in cookie is HttpOnly: the page cannot see it, the server checks it).
 */
export function showOTPStep(): void {
  byId<HTMLFormElement>('login-form').hidden = true;
  byId('otp-form').hidden = false;
  showNotice('Enter the code from your authenticator app, or a recovery code.');
  byId('otp-code').focus();
}

export function mountLogin(onLoggedIn: () => Promise<void>): void {
  const form = byId<HTMLFormElement>('login-form');
  const otpForm = byId<HTMLFormElement>('otp-form');
  onSubmit(form, async ({ email = '', password = '' }) => {
    try {
      await request<null>('/login', { method: 'POST', form: { email, password } });
    } catch (error) {
      if (!(error instanceof APIError && error.code === 'LOGIN_OTP_REQUIRED')) throw error;
      form.reset();
      showOTPStep();
      return;
    }
    form.reset();
    await onLoggedIn();
  });
  onSubmit(otpForm, async ({ otp = '' }) => {
    await request<null>('/login/otp', { method: 'POST', form: { otp: otp.trim() } });
    otpForm.reset();
    otpForm.hidden = true;
    form.hidden = false;
    await onLoggedIn();
  });
  byId('otp-cancel').addEventListener('click', () => {
    otpForm.reset();
    otpForm.hidden = true;
    form.hidden = false;
    byId('login-email').focus();
  });
}
