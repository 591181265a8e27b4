/**
 * The web page's entry point: decides which view to show and wires the views together.
 * One module per view in ./views (mount + load functions); a new view adds a `<section data-view>`
 * in index.html, a module there, and a line here. Mail links land on `#/reset-password?token=…`,
 * `#/verify?token=…`, `#/email-sign-in?token=…` and `#/invitations/accept?token=…` (see ./route.ts); other fragments are ordinary in-page links.
 */
import { apiBase } from './api.js';
import { parseRoute, returnPathOf, wantsFreshSignIn, withoutFragment } from './route.js';
import { byId, showError, showNotice, showView } from './ui.js';
import { mountAccountForms } from './views/account.js';
import { loadActivity, mountActivity } from './views/activity.js';
import { mountImpersonation } from './views/impersonation.js';
import { loadApiKeys, mountApiKeys } from './views/api-keys.js';
import { loadConnectedApps, mountConnectedApps } from './views/connected-apps.js';
import { mountDelete } from './views/delete.js';
import { mountEmailSignIn, openEmailLink, showEmailSignIn } from './views/email-sign-in.js';
import { mountForgot } from './views/forgot.js';
import { mountLogin, showOTPStep } from './views/login.js';
import { loadPasskeys, mountPasskeys, mountPasskeySignIn } from './views/passkeys.js';
import { loadProfile, mountProfile } from './views/profile.js';
import { mountReauthenticate } from './views/reauthenticate.js';
import { mountRegister } from './views/register.js';
import { acceptInvitation, hasPendingInvitation, loadOrganizations, mountOrganizations, rememberInvitation } from './views/organizations.js';
import { mountReset, showReset } from './views/reset.js';
import { loadSessions, mountSessions } from './views/sessions.js';
import { loadTwoFactor, mountTwoFactor } from './views/two-factor.js';
import { oauthErrorCode, oauthErrorMessage } from './oauth-errors.js';
import { loadLinkedAccounts, loadProviders } from './views/providers.js';
import { mountVerifyRequest, verifyEmail } from './views/verify.js';

/** Where a sign-in asked by an application returns, kept across the sign-in's steps (second factor, provider). */
const RETURN_KEY = 'fastify-users.return';
/** As long as the provider's sign-in request lives (src/features/oauth-server/engine.ts, INTERACTION_LIFETIME). */
const RETURN_LIFETIME_MS = 10 * 60 * 1000;

function pendingReturn(): string | null {
  const saved = sessionStorage.getItem(RETURN_KEY);
  if (saved === null) return null;
  sessionStorage.removeItem(RETURN_KEY);
  const [at, path] = [Number(saved.slice(0, saved.indexOf(' '))), saved.slice(saved.indexOf(' ') + 1)];
  return Date.now() - at < RETURN_LIFETIME_MS ? returnPathOf(`?next=${encodeURIComponent(path)}`) : null;
}

/**
 * Shows the profile (and its sessions) when the session is valid, else the sign-in forms. After a
 * sign-in that an invitation link was waiting for, the organizations view with the invitation accepted.
 */
async function refresh(): Promise<void> {
  const user = await loadProfile();
  // Signed in for an application (our OAuth provider's sign-in step): back to it.
  const back = user ? pendingReturn() : null;
  if (back !== null) {
    location.assign(back);
    return;
  }
  if (user && hasPendingInvitation()) return showOrganizations(() => acceptInvitation());
  if (user) await loadSignedInParts();
  showView(user ? 'profile' : 'signed-out');
  if (user) byId('profile-title').focus();
}

/** Reloads the profile and sessions without moving focus (after a change made on the profile). */
async function reloadSignedIn(): Promise<void> {
  const user = await loadProfile();
  if (!user) return refresh();
  await loadSignedInParts();
}

/** The lists of the signed-in view: devices, recent security activity, two-factor status, passkeys, API keys, connected apps, linked accounts. */
async function loadSignedInParts(): Promise<void> {
  await Promise.all([loadSessions(), loadActivity(), loadTwoFactor(), loadPasskeys(), loadApiKeys(), loadConnectedApps(), loadLinkedAccounts()]);
}

/**
 * The organizations view (`#/organizations`), once `load` has filled it; the address bar names it,
 * so a reload comes back to it.
 */
async function showOrganizations(load: () => Promise<void> = loadOrganizations): Promise<void> {
  await load();
  history.replaceState(history.state, '', `${withoutFragment(location.href)}#/organizations`);
  showView('organizations');
  if (byId('org-detail').hidden) byId('orgs-title').focus();
  else byId('org-title').focus();
}

/** Shows the view the fragment names; a token is read, then removed from the address bar. */
async function route(): Promise<void> {
  // A provider sign-in that failed comes back as #oauth_error=<CODE> (docs/oauth.md).
  const failure = oauthErrorCode(location.hash);
  if (failure !== null) {
    history.replaceState(history.state, '', withoutFragment(location.href));
    await refresh();
    showError(oauthErrorMessage(failure));
    return;
  }
  const { path, token } = parseRoute(location.hash);
  if (path === '/linked') {
    history.replaceState(history.state, '', withoutFragment(location.href));
    await refresh();
    showNotice('The account is linked: you can sign in with it too.');
    return;
  }
  if (path === '/reset-password' || path === '/verify') {
    // The token has been read: out of the address bar, the history and any bookmark
    // (OWASP Forgot Password CS). replaceState does not fire `hashchange`.
    history.replaceState(history.state, '', withoutFragment(location.href));
    if (token === null) {
      await refresh();
      showError('This link is incomplete. Copy the whole link from the mail, or ask for a new one.');
    } else if (path === '/reset-password') {
      showReset(token);
    } else {
      await verifyEmail(token);
      await refresh();
    }
    return;
  }
  if (path === '/organizations') {
    if (await loadProfile()) await showOrganizations();
    else await refresh();
    return;
  }
  if (path === '/invitations/accept') {
    // The mailed invitation (docs/organizations.md): read once and out of the address bar, like
    // the other mailed tokens; accepted now when signed in, else after the sign-in that follows.
    history.replaceState(history.state, '', withoutFragment(location.href));
    if (token === null) {
      await refresh();
      showError('This link is incomplete. Copy the whole link from the mail, or ask for a new invitation.');
    } else if (await loadProfile()) {
      await showOrganizations(() => acceptInvitation(token));
    } else {
      rememberInvitation(token);
      showView('signed-out');
      byId('login-email').focus();
      showNotice('Log in with the email address the invitation was sent to, and it is accepted.');
    }
    return;
  }
  if (path === '/email-sign-in') {
    // Without a token: the "Email me a sign-in link" form. With one: the mailed link, read once
    // and removed from the address bar like the others (docs/email-sign-in.md).
    if (!location.hash.includes('token=')) {
      showEmailSignIn();
      return;
    }
    history.replaceState(history.state, '', withoutFragment(location.href));
    if (token === null) {
      await refresh();
      showError('This link is incomplete. Copy the whole link from the mail, or ask for a new one.');
      return;
    }
    await openEmailLink(token, refresh);
    return;
  }
  if (path === '/otp') {
    // A sign-in through an identity provider that still needs the one-time code (docs/two-factor.md).
    history.replaceState(history.state, '', withoutFragment(location.href));
    showView('signed-out');
    showOTPStep();
    return;
  }
  if (path === '/login') {
    // Our OAuth provider sends a visitor here to sign in for an application, then back (docs/oauth-server.md).
    const next = returnPathOf(location.hash);
    const fresh = wantsFreshSignIn(location.hash);
    history.replaceState(history.state, '', withoutFragment(location.href));
    if (next !== null) sessionStorage.setItem(RETURN_KEY, `${Date.now()} ${next}`);
    if (!fresh) {
      // Signed in already: refresh goes back to the application at once.
      await refresh();
      if (next !== null) showNotice('Sign in to continue to the application.');
      return;
    }
    showView('signed-out');
    showNotice('The application asks you to sign in again.');
    byId('login-email').focus();
    return;
  }
  if (path === '/forgot-password') {
    showView('forgot');
    byId('forgot-title').focus();
    return;
  }
  await refresh();
}

function start(): void {
  byId<HTMLAnchorElement>('docs-link').href = `${apiBase()}/docs`;
  mountLogin(refresh);
  mountPasskeySignIn(refresh);
  mountEmailSignIn(refresh);
  mountRegister();
  mountProfile(refresh);
  mountForgot();
  mountReset(refresh);
  mountVerifyRequest(() => byId('profile-email').textContent ?? '');
  mountSessions(refresh);
  mountActivity();
  mountImpersonation(refresh);
  mountAccountForms(reloadSignedIn);
  mountDelete(refresh);
  mountTwoFactor(reloadSignedIn);
  mountPasskeys();
  mountApiKeys();
  mountConnectedApps();
  mountOrganizations();
  mountReauthenticate();
  // The provider list is read once; the views use it when they are shown.
  const providersLoaded = loadProviders();
  const go = (): void => {
    providersLoaded.then(route).catch((error: unknown) => {
      showView('signed-out');
      showError(error instanceof Error ? error.message : String(error));
    });
  };
  window.addEventListener('hashchange', go);
  go();
}

start();
