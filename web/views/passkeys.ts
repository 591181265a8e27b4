/**
 * Passkeys: the list with "Delete" on each, "Add a passkey" (POST /users/me/passkeys/options,
 * the browser's WebAuthn prompt, POST /users/me/passkeys) and "Sign in with a passkey"
 * (POST /passkeys/login/options, the prompt, POST /passkeys/login). @simplewebauthn/browser
 * turns the JSON options into the WebAuthn API's binary ones and back.
 */
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { APIError, request } from '../api.js';
import { byId, listEntry, onSubmit, runBusy, showNotice } from '../ui.js';

interface PasskeyInfo {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

/** A date as the reader's locale writes it. */
function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** A WebAuthn prompt the user dismissed is not an error worth a red box. */
function describeWebAuthnError(error: unknown): string {
  if (error instanceof Error && error.name === 'NotAllowedError') return 'The passkey prompt was closed or timed out.';
  return error instanceof Error ? error.message : String(error);
}

function entry(passkey: PasskeyInfo): HTMLLIElement {
  return listEntry({
    id: `passkey-${passkey.id}`,
    name: passkey.name,
    details: `Added ${when(passkey.created_at)}; ${passkey.last_used_at ? `last used ${when(passkey.last_used_at)}` : 'never used'}`,
    action: 'Delete',
    onAction: async () => {
      await request<null>(`/users/me/passkeys/${passkey.id}`, { method: 'DELETE' });
      await loadPasskeys();
      showNotice(`The passkey "${passkey.name}" is deleted.`);
    },
  });
}

/** Fills the list of the user's passkeys. */
export async function loadPasskeys(): Promise<void> {
  const passkeys = await request<PasskeyInfo[]>('/users/me/passkeys');
  byId('passkeys-list').replaceChildren(...passkeys.map(entry));
  byId('passkeys-empty').hidden = passkeys.length > 0;
}

export function mountPasskeys(): void {
  const supported = browserSupportsWebAuthn();
  const form = byId<HTMLFormElement>('passkey-add-form');
  form.hidden = !supported;
  const reauth = byId('passkey-reauth');
  onSubmit(form, async ({ name = '', current_password: currentPassword = '' }) => {
    // Adding a way in needs a recent sign-in (docs/security.md, "Recent authentication"); past
    // it, the password is asked here and proved first.
    if (currentPassword !== '') await request<null>('/users/me/reauthenticate', { method: 'POST', json: { current_password: currentPassword } });
    let optionsJSON;
    try {
      optionsJSON = await request<Parameters<typeof startRegistration>[0]['optionsJSON']>('/users/me/passkeys/options', { method: 'POST' });
    } catch (error) {
      if (!(error instanceof APIError && error.code === 'REAUTHENTICATION_REQUIRED')) throw error;
      reauth.hidden = false;
      byId<HTMLInputElement>('passkey-current-password').focus();
      throw new Error('You signed in a while ago: enter your current password, then add the passkey again.');
    }
    let response;
    try {
      response = await startRegistration({ optionsJSON });
    } catch (error) {
      throw new Error(describeWebAuthnError(error));
    }
    const trimmed = name.trim();
    await request('/users/me/passkeys', { method: 'POST', json: trimmed ? { name: trimmed, response } : { response } });
    form.reset();
    reauth.hidden = true;
    await loadPasskeys();
    showNotice('The passkey is added.');
  });
}

/** "Sign in with a passkey": no email, the authenticator offers its passkeys for this site. */
export function mountPasskeySignIn(onSignedIn: () => Promise<void>): void {
  const button = byId<HTMLButtonElement>('passkey-sign-in');
  button.hidden = !browserSupportsWebAuthn();
  button.addEventListener('click', () => runBusy(button, async () => {
    const optionsJSON = await request<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/passkeys/login/options', { method: 'POST' });
    let response;
    try {
      response = await startAuthentication({ optionsJSON });
    } catch (error) {
      throw new Error(describeWebAuthnError(error));
    }
    await request<null>('/passkeys/login', { method: 'POST', json: { response } });
    await onSignedIn();
  }));
}
