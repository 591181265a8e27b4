import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { Browser, jwtByCodeFlow, type ProviderServer, startProviderServer } from './harness.js';

const REDIRECT = 'https://app.example.com/callback';

describe('the provider: sign-in and consent steps', () => {
  let server: ProviderServer;
  let firstParty: { clientId: string; clientSecret?: string };
  let thirdParty: { clientId: string; clientSecret?: string };
  before(async () => {
    server = await startProviderServer();
    await server.createUser('grace@example.com');
    firstParty = await server.addClient({ redirect_uris: [REDIRECT], first_party: true, client_name: 'Our app' });
    thirdParty = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Partner <b>Notes</b>', token_endpoint_auth_method: 'none' });
  });
  after(async () => server.close());

  async function authorizationURL(clientId: string, extra: Record<string, string> = {}) {
    const config = await oidc.discovery(new URL(server.issuer), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid email notes:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    return { url: url.href, state };
  }

  test('a visitor not signed in goes to the web page sign-in with a return path, and comes back once signed in', async () => {
    const browser = new Browser();
    const { url, state } = await authorizationURL(firstParty.clientId);
    const { response, visited } = await browser.follow(url, REDIRECT);
    assert.equal(response.status, 200, 'ends on the web page');
    const login = new URL(visited.at(-1)!);
    assert.equal(login.pathname, '/');
    const next = new URLSearchParams(login.hash.slice(login.hash.indexOf('?') + 1)).get('next')!;
    assert.match(next, /^\/oauth2\/interaction\/[\w-]+$/);
    // The user signs in on the page (password), then the page returns to `next`.
    const signIn = await browser.fetch(`${server.issuer}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=grace%40example.com&password=correct+horse+battery+staple',
    });
    assert.ok(signIn.status < 300, `login ${signIn.status}`);
    const back = await browser.follow(`${server.issuer}${next}`, REDIRECT);
    assert.ok(back.location, 'redirected to the client');
    assert.equal(back.location.searchParams.get('state'), state);
    assert.equal(back.location.searchParams.get('iss'), server.issuer);
    assert.ok(back.location.searchParams.get('code'));
  });

  test('prompt=none answers login_required to a visitor, without showing a page', async () => {
    const { url, state } = await authorizationURL(firstParty.clientId, { prompt: 'none' });
    const { location } = await new Browser().follow(url, REDIRECT);
    assert.equal(location?.searchParams.get('error'), 'login_required');
    assert.equal(location?.searchParams.get('state'), state);
    assert.equal(location?.searchParams.get('iss'), server.issuer);
  });

  test('prompt=login sends a signed-in user to sign in again (fresh=1)', async () => {
    const browser = await server.signedIn('grace@example.com');
    // A first request signs the engine's session in; then prompt=login must ask again.
    assert.ok((await browser.follow((await authorizationURL(firstParty.clientId)).url, REDIRECT)).location);
    const { visited } = await browser.follow((await authorizationURL(firstParty.clientId, { prompt: 'login' })).url, REDIRECT);
    const last = new URL(visited.at(-1)!);
    assert.equal(last.pathname, '/');
    assert.match(last.hash, /^#\/login\?next=.+&fresh=1$/);
    // The same session again is still not a new sign-in; a new one (the page's password form) is.
    const next = decodeURIComponent(/next=([^&]+)/.exec(last.hash)![1]!);
    assert.match(new URL((await browser.follow(`${server.issuer}${next}`, REDIRECT)).visited.at(-1)!).hash, /fresh=1/);
    // As the page does it: with its CSRF header, since the browser holds a session.
    const again = await browser.fetch(`${server.issuer}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrftoken': decodeURIComponent(browser.cookies.get('csrftoken') ?? '') },
      body: 'email=grace%40example.com&password=correct+horse+battery+staple',
    });
    assert.ok(again.status < 300, `login again: ${again.status} ${await again.text()}`);
    assert.ok((await browser.follow(`${server.issuer}${next}`, REDIRECT)).location?.searchParams.get('code'));
  });

  test('a signed-out user is not taken for the engine session still open: sign in again, prompt=none says login_required', async () => {
    const browser = await server.signedIn('grace@example.com');
    assert.ok((await browser.follow((await authorizationURL(firstParty.clientId)).url, REDIRECT)).location);
    // Signed out in this browser: the auth cookie is gone (the engine's own session cookie stays).
    browser.cookies.delete('token');
    const { location } = await browser.follow((await authorizationURL(firstParty.clientId, { prompt: 'none' })).url, REDIRECT);
    assert.equal(location?.searchParams.get('error'), 'login_required');
  });

  test('a third-party client gets a consent page: its name escaped, the redirect host, each scope in words; Deny → access_denied; Allow → code; remembered', async () => {
    const browser = await server.signedIn('grace@example.com');
    const { url, state } = await authorizationURL(thirdParty.clientId);
    const { response, visited } = await browser.follow(url, REDIRECT);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /Partner &lt;b&gt;Notes&lt;\/b&gt;/);
    // The form's redirects end at the client: its origin is a form-action source, nothing else is.
    assert.match(response.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/app\.example\.com(;|$)/);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(page, /<b>Notes/);
    assert.match(page, /app\.example\.com/);
    assert.match(page, /See your email address/);
    assert.match(page, /notes:read/);
    const action = /action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&');
    const token = /name="token" value="([^"]+)"/.exec(page)![1]!;
    const consentURL = new URL(action, visited.at(-1)).href;
    // A forged answer (no token, or another) is refused.
    const forged = await browser.fetch(consentURL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=allow&token=x',
    });
    assert.equal(forged.status, 403);
    const denied = await browser.fetch(consentURL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=deny&token=${encodeURIComponent(token)}`,
    });
    // The engine writes this redirect itself: it still carries the security headers (docs/security.md).
    assert.equal(denied.headers.get('x-content-type-options'), 'nosniff');
    assert.match(denied.headers.get('strict-transport-security') ?? '', /max-age=/);
    const deniedAt = await browser.follow(new URL(denied.headers.get('location')!, consentURL).href, REDIRECT);
    assert.equal(deniedAt.location?.searchParams.get('error'), 'access_denied');
    assert.equal(deniedAt.location?.searchParams.get('state'), state);

    const second = await authorizationURL(thirdParty.clientId);
    const shown = await browser.follow(second.url, REDIRECT);
    const page2 = await shown.response.text();
    const action2 = new URL(/action="([^"]+)"/.exec(page2)![1]!, shown.visited.at(-1)).href;
    const token2 = /name="token" value="([^"]+)"/.exec(page2)![1]!;
    const allowed = await browser.fetch(action2, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=allow&token=${encodeURIComponent(token2)}`,
    });
    const allowedAt = await browser.follow(new URL(allowed.headers.get('location')!, action2).href, REDIRECT);
    assert.ok(allowedAt.location?.searchParams.get('code'));
    // Consent is remembered for this client and these scopes: no page the next time.
    const third = await browser.follow((await authorizationURL(thirdParty.clientId)).url, REDIRECT);
    assert.ok(third.location?.searchParams.get('code'));
  });

  test('Connected apps: the consented client is listed with its scopes; disconnecting it ends the consent (the page is shown again); 404 after', async () => {
    const browser = await server.signedIn('grace@example.com');
    const csrf = () => ({ 'x-csrftoken': decodeURIComponent(browser.cookies.get('csrftoken') ?? '') });
    // Consent was given to the third-party client in the test above (same user, same database).
    const listed = await browser.fetch(`${server.issuer}/users/me/oauth-grants`);
    assert.equal(listed.status, 200);
    const apps = (await listed.json()) as { client_id: string; client_name: string | null; scopes: string[] }[];
    const partner = apps.find((app) => app.client_id === thirdParty.clientId);
    assert.ok(partner, JSON.stringify(apps));
    assert.equal(partner.client_name, 'Partner <b>Notes</b>');
    assert.ok(partner.scopes.includes('openid') && partner.scopes.includes('email'));
    const removed = await browser.fetch(`${server.issuer}/users/me/oauth-grants/${thirdParty.clientId}`, { method: 'DELETE', headers: csrf() });
    assert.equal(removed.status, 204);
    assert.equal((await browser.fetch(`${server.issuer}/users/me/oauth-grants/${thirdParty.clientId}`, { method: 'DELETE', headers: csrf() })).status, 404);
    const again = await browser.follow((await authorizationURL(thirdParty.clientId)).url, REDIRECT);
    assert.equal(again.location, undefined, 'consent is asked again');
    assert.match(await again.response.text(), /Allow/);
    // Both are security events of the user (docs/audit.md): Allow above, and this disconnection.
    const events = (await (await browser.fetch(`${server.issuer}/users/me/events?limit=200`)).json()) as {
      type: string;
      actor_user_id: number | null;
      subject_user_id: number;
      detail: { client_id?: string; scopes?: string[] };
    }[];
    const granted = events.filter((event) => event.type === 'oauth_consent.granted' && event.detail.client_id === thirdParty.clientId);
    assert.equal(granted.length, 1, 'one Allow, one event (Deny and the remembered consent record none)');
    assert.ok(granted[0]!.detail.scopes?.includes('email'));
    assert.equal(granted[0]!.actor_user_id, granted[0]!.subject_user_id);
    const revoked = events.filter((event) => event.type === 'oauth_consent.revoked' && event.detail.client_id === thirdParty.clientId);
    assert.equal(revoked.length, 1);
  });

  test('a JWT access token is refused as soon as its user disconnects the app ("Connected apps"), though it has not expired', async () => {
    // On our SQL store: the resource server asks, on every request, whether the user's grant to the app stands.
    const { clientId, clientSecret } = await server.addClient({ redirect_uris: [REDIRECT], client_name: 'Disconnected', first_party: true });
    await server.createUser('disconnects@example.com');
    const browser = await server.signedIn('disconnects@example.com');
    const tokens = await jwtByCodeFlow(server, browser, { clientId, clientSecret }, REDIRECT);
    const me = () => fetch(`${server.issuer}/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await me()).status, 200);
    const csrf = { 'x-csrftoken': decodeURIComponent(browser.cookies.get('csrftoken') ?? '') };
    const removed = await browser.fetch(`${server.issuer}/users/me/oauth-grants/${clientId}`, { method: 'DELETE', headers: csrf });
    assert.equal(removed.status, 204);
    assert.equal((await me()).status, 401);
  });

  test('the device page is ours: our CSP (no framing), no-store, a labelled field; a code in the link is shown escaped, never posted by script', async () => {
    const page = await fetch(`${server.issuer}/oauth2/device`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /frame-ancestors 'none'/);
    assert.match(policy, /script-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const html = await page.text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<label for="user-code">/);
    assert.match(html, /name="xsrf" value="[0-9a-f]{48}"/);

    const linked = await fetch(`${server.issuer}/oauth2/device?user_code=${encodeURIComponent('"><script>x</script>')}`, { headers: { accept: 'text/html' } });
    const linkedHtml = await linked.text();
    assert.equal(linked.status, 200);
    assert.doesNotMatch(linkedHtml, /<script/);
    assert.match(linkedHtml, /value="&quot;&gt;&lt;script&gt;x&lt;\/script&gt;"/);
    // Far too long to be a code: not echoed.
    const long = await (await fetch(`${server.issuer}/oauth2/device?user_code=${'A'.repeat(500)}`, { headers: { accept: 'text/html' } })).text();
    assert.doesNotMatch(long, /AAAAAAAA/);
    assert.match(long, /<label for="user-code">/);
  });
});
