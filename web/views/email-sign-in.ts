/**
 * "Email me a sign-in link" (docs/email-sign-in.md): POST /login/email, then the code entry
 * (POST /login/email/verify with the email and the code). The mailed link opens the page at
 * `#/email-sign-in?token=…`; the token is sent at once, and works only in the browser that asked
 * (its binding cookie is HttpOnly: the page cannot see it, the server checks it). Opened anywhere
 * else, the page says to open it where it was asked for, or to type the code there.
 */
import { APIError, request } from '../api.js';
import { byId, onSubmit, showError, showView } from '../ui.js';
import { showOTPStep } from './login.js';

/** The address the code form signs in, as typed in the first step. */
let pendingEmail = '';

/** Shows the first step: the address to mail. */
export function showEmailSignIn(): void {
  showView('email-sign-in');
  byId('email-sign-in-form').hidden = false;
  byId('email-code-form').hidden = true;
  byId('email-sign-in-title').focus();
}

/** Ends a sign-in that reached its end, or its second factor (the login view's code step). */
async function finish(send: () => Promise<unknown>, onSignedIn: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!(error instanceof APIError && error.code === 'LOGIN_OTP_REQUIRED')) throw error;
    showView('signed-out');
    showOTPStep();
    return;
  }
  await onSignedIn();
}

export function mountEmailSignIn(onSignedIn: () => Promise<void>): void {
  const form = byId<HTMLFormElement>('email-sign-in-form');
  const codeForm = byId<HTMLFormElement>('email-code-form');
  onSubmit(form, async ({ email = '' }) => {
    await request<null>('/login/email', { method: 'POST', json: { email } });
    pendingEmail = email;
    form.reset();
    form.hidden = true;
    // Enumeration-safe wording, like the API's 202 (OWASP Authentication CS).
    byId('email-code-address').textContent = email;
    codeForm.hidden = false;
    byId('email-code').focus();
  });
  onSubmit(codeForm, async ({ code = '' }) => {
    await finish(() => request<null>('/login/email/verify', { method: 'POST', json: { email: pendingEmail, code: code.trim() } }), onSignedIn);
    codeForm.reset();
  });
  byId('email-code-restart').addEventListener('click', () => {
    codeForm.reset();
    showEmailSignIn();
    byId('email-sign-in-email').focus();
  });
}

/**
 * The mailed link: signs in here when this browser asked for it; otherwise says where it works.
 * `refresh` shows the profile or the log-in view, whichever the session allows.
 */
export async function openEmailLink(token: string, refresh: () => Promise<void>): Promise<void> {
  try {
    await finish(() => request<null>('/login/email/verify', { method: 'POST', json: { token } }), refresh);
  } catch (error) {
    if (error instanceof APIError && error.code === 'EMAIL_SIGN_IN_OTHER_BROWSER') {
      showView('email-link');
      byId('email-link-title').focus();
      return;
    }
    await refresh();
    showError(error instanceof Error ? error.message : String(error));
  }
}
