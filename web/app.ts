/**
 * The web page's entry point: decides which view to show and wires the views together.
 * One module per view in ./views (mount + load functions); a new view (e.g. forgot/reset
 * password, sessions) adds a `<section data-view>` in index.html, a module there, and a line here.
 */
import { apiBase } from './api.js';
import { byId, showError, showView } from './ui.js';
import { mountLogin } from './views/login.js';
import { loadProfile, mountProfile } from './views/profile.js';
import { mountRegister } from './views/register.js';

/** Shows the profile when the session is valid, else the sign-in forms. */
async function refresh(): Promise<void> {
  const user = await loadProfile();
  showView(user ? 'profile' : 'signed-out');
  if (user) byId('profile-title').focus();
}

function start(): void {
  byId<HTMLAnchorElement>('docs-link').href = `${apiBase()}/docs`;
  mountLogin(refresh);
  mountRegister();
  mountProfile(refresh);
  refresh().catch((error: unknown) => {
    showView('signed-out');
    showError(error instanceof Error ? error.message : String(error));
  });
}

start();
