/**
 * Passkeys: the list with "Delete" on each, "Add a passkey" (POST /users/me/passkeys/options,
 * the browser's WebAuthn prompt, POST /users/me/passkeys; after "Confirm it's you" when the
 * sign-in is not recent, see ./reauthenticate.ts) and "Sign in with a passkey"
 * (POST /passkeys/login/options, the prompt, POST /passkeys/login). @simplewebauthn/browser
 * turns the JSON options into the WebAuthn API's binary ones and back.
 */
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { request } from '../api.js';
import { describeWebAuthnError } from '../format.js';
import { withReauthentication } from '../reauthentication.js';
import { byId, listEntry, onSubmit, runBusy, showNotice } from '../ui.js';
import { confirmIdentity } from './reauthenticate.js';

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

/** Registration options, the browser's prompt, the new credential saved under `name` (optional). */
async function addPasskey(name: string): Promise<void> {
  const optionsJSON = await request<Parameters<typeof startRegistration>[0]['optionsJSON']>('/users/me/passkeys/options', { method: 'POST' });
  let response;
  try {
    response = await startRegistration({ optionsJSON });
  } catch (error) {
    throw new Error(describeWebAuthnError(error));
  }
  await request('/users/me/passkeys', { method: 'POST', json: name ? { name, response } : { response } });
}

export function mountPasskeys(): void {
  const supported = browserSupportsWebAuthn();
  const form = byId<HTMLFormElement>('passkey-add-form');
  form.hidden = !supported;
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]') ?? undefined;
  onSubmit(form, async ({ name = '' }) => {
    // Either call may be refused (the window can lapse between them): the whole ceremony runs again.
    await withReauthentication(
      () => addPasskey(name.trim()),
      () => confirmIdentity(submit),
    );
    form.reset();
    await loadPasskeys();
    showNotice('The passkey is added.');
  });
}

/** "Sign in with a passkey": no email, the authenticator offers its passkeys for this site. */
export function mountPasskeySignIn(onSignedIn: () => Promise<void>): void {
  const button = byId<HTMLButtonElement>('passkey-sign-in');
  button.hidden = !browserSupportsWebAuthn();
  button.addEventListener('click', () =>
    runBusy(button, async () => {
      const optionsJSON = await request<Parameters<typeof startAuthentication>[0]['optionsJSON']>('/passkeys/login/options', { method: 'POST' });
      let response;
      try {
        response = await startAuthentication({ optionsJSON });
      } catch (error) {
        throw new Error(describeWebAuthnError(error));
      }
      await request<null>('/passkeys/login', { method: 'POST', json: { response } });
      await onSignedIn();
    }),
  );
}
