/**
 * API keys (docs/api-keys.md): the list with "Revoke" on each, and "Create API key" with a name,
 * scopes and a lifetime (POST /users/me/api-keys; after "Confirm it's you" when the sign-in is not
 * recent, see ./reauthenticate.ts). The new key is shown once, with "Copy API key"; it is dropped
 * from the page when the list is next loaded.
 */
import { request } from '../api.js';
import { withReauthentication } from '../reauthentication.js';
import { byId, listEntry, onSubmit, showNotice } from '../ui.js';
import { confirmIdentity } from './reauthenticate.js';

interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
}

/** A date as the reader's locale writes it. */
function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

function entry(key: ApiKeyInfo): HTMLLIElement {
  const scopes = key.scopes.length > 0 ? `scopes ${key.scopes.join(' ')}` : 'no scopes';
  const expiry = key.expires_at === null ? 'never expires' : `${Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'expires'} ${when(key.expires_at)}`;
  return listEntry({
    id: `api-key-${key.id}`,
    name: `${key.name} (${key.prefix}…)`,
    details: `${scopes}; created ${when(key.created_at)}; ${expiry}; ${key.last_used_at ? `last used ${when(key.last_used_at)}` : 'never used'}`,
    action: 'Revoke',
    onAction: async () => {
      await request<null>(`/users/me/api-keys/${key.id}`, { method: 'DELETE' });
      await loadApiKeys();
      showNotice(`The API key "${key.name}" is revoked.`);
    },
  });
}

/** Fills the list of the user's API keys, and forgets a key shown earlier. */
export async function loadApiKeys(): Promise<void> {
  const keys = await request<ApiKeyInfo[]>('/users/me/api-keys');
  byId('api-keys-list').replaceChildren(...keys.map(entry));
  byId('api-keys-empty').hidden = keys.length > 0;
}

/** Hides the key shown once, and its text with it. */
function forgetShownKey(): void {
  byId('api-key-created').hidden = true;
  byId('api-key-value').textContent = '';
}

export function mountApiKeys(): void {
  const form = byId<HTMLFormElement>('api-key-form');
  const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]') ?? undefined;
  onSubmit(form, async ({ name = '', scopes = '', expires_in: expiresIn = '' }) => {
    forgetShownKey();
    const json = {
      name: name.trim(),
      scopes: scopes.split(/[\s,]+/).filter((scope) => scope !== ''),
      expires_in: Number(expiresIn),
    };
    const created = await withReauthentication(
      () => request<ApiKeyInfo & { key: string }>('/users/me/api-keys', { method: 'POST', json }),
      () => confirmIdentity(submit),
    );
    form.reset();
    await loadApiKeys();
    byId('api-key-value').textContent = created.key;
    byId('api-key-created').hidden = false;
    byId('api-key-created-title').focus();
  });

  byId<HTMLButtonElement>('api-key-copy').addEventListener('click', () => {
    navigator.clipboard.writeText(byId('api-key-value').textContent ?? '').then(
      () => showNotice('The API key is copied.'),
      () => showNotice('Copying is not allowed here: select the key and copy it by hand.'),
    );
  });
  byId<HTMLButtonElement>('api-key-done').addEventListener('click', forgetShownKey);
}
