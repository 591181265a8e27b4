/**
 * Signing in with another provider: "Continue with <provider>" links on the log-in view, and the
 * profile's linked accounts (GET /users/me/accounts, unlink with DELETE …/{id}). Signing in is a
 * top-level navigation (a plain link): the provider's pages must open in the window, and the state
 * cookie is set on that navigation. Linking is a button: `POST /oauth/{provider}/link` (with the
 * CSRF header, as every unsafe call) sets the state cookie and answers the provider's URL, which
 * the page then navigates to — a mere navigation never links (docs/oauth.md). Linking adds a way
 * in: a sign-in that is not recent is asked to confirm it first (./reauthenticate.ts).
 */
import { apiBase, request } from '../api.js';
import { providerLabel } from '../oauth-errors.js';
import { withReauthentication } from '../reauthentication.js';
import { byId, clearMessages, showError, showNotice } from '../ui.js';
import { confirmIdentity } from './reauthenticate.js';

/** Where a link flow sends the browser next (`POST /oauth/{provider}/link`). */
interface LinkStart {
  authorization_url: string;
}

interface Provider {
  name: string;
  authorize_url: string;
}

interface LinkedAccount {
  id: number;
  provider: string;
  account_email: string;
  created_at: string;
}

let providers: Provider[] = [];

/** Where a link starts the flow; `next` is where the page lands afterwards (a path on this origin). */
function startURL(provider: Provider, next: string): string {
  return `${apiBase()}${provider.authorize_url}?next=${encodeURIComponent(next)}`;
}

function link(text: string, href: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.className = 'button-link';
  a.href = href;
  a.textContent = text;
  return a;
}

/** Reads the configured providers once and shows a "Continue with …" link for each. */
export async function loadProviders(): Promise<void> {
  try {
    providers = await request<Provider[]>('/oauth/providers');
  } catch {
    providers = []; // an older server, or none configured: the section stays hidden
  }
  const items = providers.map((provider) => {
    const item = document.createElement('li');
    item.append(link(`Continue with ${providerLabel(provider.name)}`, startURL(provider, '/')));
    return item;
  });
  byId('providers-list').replaceChildren(...items);
  byId('providers').hidden = providers.length === 0;
}

/** Fills the profile's linked accounts, with "Unlink" on each and "Link …" for the others. */
export async function loadLinkedAccounts(): Promise<void> {
  const accounts = await request<LinkedAccount[]>('/users/me/accounts');
  byId('linked-list').replaceChildren(...accounts.map(entry));
  byId('linked-empty').hidden = accounts.length > 0;
  const linkable = providers.map((provider) => {
    const item = document.createElement('li');
    item.append(linkButton(provider));
    return item;
  });
  byId('link-providers').replaceChildren(...linkable);
  byId('linked-section').hidden = accounts.length === 0 && providers.length === 0;
}

/** "Link <provider>": starts the link flow with a POST, then goes to the provider. */
function linkButton(provider: Provider): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = `Link ${providerLabel(provider.name)}`;
  button.addEventListener('click', () => {
    button.disabled = true;
    clearMessages();
    const path = `/oauth/${encodeURIComponent(provider.name)}/link?next=${encodeURIComponent('/#/linked')}`;
    withReauthentication(
      () => request<LinkStart>(path, { method: 'POST' }),
      () => confirmIdentity(button),
    )
      .then((started) => {
        window.location.assign(started.authorization_url);
      })
      .catch((error: unknown) => {
        showError(error instanceof Error ? error.message : String(error));
        button.disabled = false;
      });
  });
  return button;
}

function entry(account: LinkedAccount): HTMLLIElement {
  const item = document.createElement('li');
  const text = document.createElement('div');
  text.id = `linked-${account.id}`;
  text.textContent = `${providerLabel(account.provider)}: ${account.account_email}`;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.textContent = 'Unlink';
  button.setAttribute('aria-describedby', text.id);
  button.addEventListener('click', () => {
    button.disabled = true;
    clearMessages();
    request<null>(`/users/me/accounts/${account.id}`, { method: 'DELETE' })
      .then(async () => {
        await loadLinkedAccounts();
        showNotice(`${providerLabel(account.provider)} is no longer linked.`);
      })
      .catch((error: unknown) => showError(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        button.disabled = false;
      });
  });
  item.append(text, button);
  return item;
}
