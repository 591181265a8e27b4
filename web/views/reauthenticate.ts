/**
 * "Confirm it's you": the modal dialog asked for when adding a way in (a passkey, a provider link)
 * answers REAUTHENTICATION_REQUIRED. It takes the current password, a one-time code when the
 * account has two-factor sign-in, or a passkey when it has one, and sends it to
 * POST /users/me/reauthenticate (docs/security.md, "Recent authentication"); the caller then
 * retries its action (../reauthentication.ts). A native <dialog> opened with showModal() keeps
 * focus and the screen reader inside it (WAI-ARIA APG, "Dialog (Modal)"); focus returns to the
 * control that opened it.
 */
import { browserSupportsWebAuthn, startAuthentication } from '@simplewebauthn/browser';
import { request } from '../api.js';
import { describeWebAuthnError } from '../format.js';
import { ReauthenticationCancelled } from '../reauthentication.js';
import { byId } from '../ui.js';

type Proof = { current_password: string } | { otp: string } | { passkey: unknown };

/** How the open prompt ends: true once the session is re-authenticated. */
let settle: ((confirmed: boolean) => void) | null = null;
/** The prompt on screen: a second action asking meanwhile waits for the same answer. */
let pending: Promise<void> | null = null;

function dialog(): HTMLDialogElement {
  return byId<HTMLDialogElement>('reauth-dialog');
}

/** The dialog's own alert (the page's is behind the modal dialog, out of reach). */
function showDialogError(message: string, field?: HTMLInputElement): void {
  const box = byId('reauth-error');
  box.textContent = message;
  box.hidden = false;
  for (const input of dialog().querySelectorAll('input')) input.removeAttribute('aria-invalid');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
    field.select();
  }
}

function clearDialogError(): void {
  const box = byId('reauth-error');
  box.hidden = true;
  box.textContent = '';
  for (const input of dialog().querySelectorAll('input')) input.removeAttribute('aria-invalid');
}

/** Sends one proof with `button` busy; success closes the dialog, a refusal is shown in it. */
async function prove(button: HTMLButtonElement, makeProof: () => Promise<Proof>, field?: HTMLInputElement): Promise<void> {
  button.disabled = true;
  clearDialogError();
  try {
    await request<null>('/users/me/reauthenticate', { method: 'POST', json: await makeProof() });
    settle?.(true);
  } catch (error) {
    showDialogError(error instanceof Error ? error.message : String(error), field);
  } finally {
    button.disabled = false;
  }
}

/**
 * Focus back on the control that opened the prompt. A form's submit button is still disabled
 * (busy with the action the prompt interrupted) and cannot take focus yet: it gets it when it is
 * enabled again, so keyboard users are not dropped at the top of the page (WCAG 2.4.3).
 */
function restoreFocus(opener: HTMLElement | null): void {
  if (!opener?.isConnected) return;
  if (!(opener instanceof HTMLButtonElement && opener.disabled)) {
    opener.focus();
    return;
  }
  const observer = new MutationObserver(() => {
    if (opener.disabled) return;
    observer.disconnect();
    if (document.activeElement === document.body || document.activeElement === null) opener.focus();
  });
  observer.observe(opener, { attributes: true, attributeFilter: ['disabled'] });
  setTimeout(() => observer.disconnect(), 60_000);
}

/** Offers the code and the passkey only to an account that has them. */
async function offerFactors(): Promise<void> {
  const [totp, passkeys] = await Promise.all([
    request<{ enabled: boolean }>('/users/me/totp').then(
      (status) => status.enabled,
      () => false,
    ),
    request<unknown[]>('/users/me/passkeys').then(
      (list) => list.length > 0,
      () => false,
    ),
  ]);
  byId('reauth-otp-form').hidden = !totp;
  byId('reauth-passkey').hidden = !(passkeys && browserSupportsWebAuthn());
}

async function ask(returnFocusTo?: HTMLElement): Promise<void> {
  // A button busy with the interrupted action is disabled, and Chromium then blurs it: the caller names it.
  const focused = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
  const opener = returnFocusTo ?? focused;
  await offerFactors();
  clearDialogError();
  return new Promise<void>((resolve, reject) => {
    settle = (confirmed) => {
      settle = null;
      for (const form of dialog().querySelectorAll('form')) form.reset();
      if (dialog().open) dialog().close();
      restoreFocus(opener);
      if (confirmed) resolve();
      else reject(new ReauthenticationCancelled());
    };
    dialog().showModal();
    byId('reauth-password').focus();
  });
}

/**
 * Asks the user to confirm who they are; resolves once the session is re-authenticated, rejects
 * with {@link ReauthenticationCancelled} when they close the prompt (Cancel or Escape). Focus then
 * returns to `returnFocusTo` (default: what had it when the prompt opened).
 */
export function confirmIdentity(returnFocusTo?: HTMLElement): Promise<void> {
  pending ??= ask(returnFocusTo).finally(() => {
    pending = null;
  });
  return pending;
}

export function mountReauthenticate(): void {
  // Escape and Cancel both close the dialog; a close that did not confirm is a cancel.
  dialog().addEventListener('close', () => settle?.(false));
  byId('reauth-cancel').addEventListener('click', () => settle?.(false));

  const passwordForm = byId<HTMLFormElement>('reauth-password-form');
  const password = byId<HTMLInputElement>('reauth-password');
  passwordForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = passwordForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    void prove(button, async () => ({ current_password: password.value }), password);
  });

  const otpForm = byId<HTMLFormElement>('reauth-otp-form');
  const otp = byId<HTMLInputElement>('reauth-otp');
  otpForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = otpForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    void prove(button, async () => ({ otp: otp.value.trim() }), otp);
  });

  // A passkey answers the sign-in challenge of POST /passkeys/login/options, whose cookie binds it to this browser.
  const passkeyButton = byId<HTMLButtonElement>('reauth-passkey');
  passkeyButton.addEventListener('click', () => {
    void prove(passkeyButton, async () => {
      const optionsJSON = await request<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/passkeys/login/options', { method: 'POST' });
      try {
        return { passkey: await startAuthentication({ optionsJSON }) };
      } catch (error) {
        throw new Error(describeWebAuthnError(error));
      }
    });
  });
}
