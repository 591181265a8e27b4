/**
 * The organizations and API keys views of the web page, clicked in real Chromium against the
 * whole service with a real SMTP server: an owner creates an organization and invites by email,
 * the invitation link read from the received mail is opened by the invited user (signed out, then
 * signing in) and by someone else; roles are shown, changed and checked over HTTP from outside
 * the page. API keys: made with scopes, shown once, listed, used over HTTP, revoked. axe-core runs
 * over each view as the user sees it.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { axeViolations, launchChromium } from '../support/browser.js';
import { PASSWORD } from '../support/constants.js';
import { type PageServer, startPageServer } from '../support/servers.js';
import { chromium } from '../support/services.js';

const CHROMIUM = chromium();
const INVITATION_PATH = '/#/invitations/accept?token=';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

describe('the organizations and API keys views of the web page, in Chromium', { skip: CHROMIUM.skip }, () => {
  let server: PageServer;
  let browser: Browser;
  const cspViolations: string[] = [];

  before(async () => {
    await buildWeb();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startPageServer();
    browser = await launchChromium(CHROMIUM.value!);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser profile (its own cookies), watched for CSP violations. */
  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 900, height: 800 } });
    context.setDefaultTimeout(10_000);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return { context, page: await context.newPage() };
  }

  async function post(path: string, json: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(json) });
  }

  /** Registers over HTTP; `verified` goes through the mailed verification link, as a user would. */
  async function register(email: string, { verified = false } = {}): Promise<void> {
    const response = await post('/register', { email, password: PASSWORD });
    assert.equal(response.status, 201, await response.text());
    if (!verified) return;
    assert.equal((await post('/request-verify-token', { email })).status, 202);
    const { token } = await server.mailedLink(email, '/#/verify?token=');
    const verify = await post('/verify', { token });
    assert.equal(verify.status, 200, await verify.text());
  }

  /** A bearer token of `email`, to check from outside the page what the page did. */
  async function bearer(email: string): Promise<string> {
    const response = await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: email, password: PASSWORD }) });
    const body = (await response.json()) as { access_token?: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.access_token!;
  }

  async function myOrganizations(token: string): Promise<{ slug: string; role: string }[]> {
    const response = await fetch(`${server.url}/orgs`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    return ((await response.json()) as { slug: string; role: string }[]).map(({ slug, role }) => ({ slug, role }));
  }

  async function fillLogIn(page: Page, email: string): Promise<void> {
    await page.locator('#login-email').fill(email);
    await page.locator('#login-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function logIn(page: Page, email: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await fillLogIn(page, email);
    await page.locator('#profile').waitFor();
  }

  const notice = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor();
  const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text }).waitFor();

  async function assertAxeClean(page: Page, where: string): Promise<void> {
    assert.deepEqual(await axeViolations(page), [], `axe-core violations on ${where}`);
  }

  test('organizations: create, invite, the invited user accepts through the mailed link, roles shown and changed, leave', async () => {
    const owner = 'owner@example.com';
    const invitee = 'invitee@example.com';
    const stranger = 'stranger@example.com';
    await register(owner);
    await register(invitee, { verified: true });
    await register(stranger, { verified: true });

    // The owner creates an organization from the profile's link.
    const { page } = await newContext();
    await logIn(page, owner);
    await page.getByRole('link', { name: 'Your organizations' }).click();
    await page.getByRole('heading', { name: 'Your organizations' }).waitFor();
    assert.equal(await page.locator('#orgs-empty').isVisible(), true);
    await assertAxeClean(page, 'the empty organizations view');

    await page.getByLabel('Slug').fill('Not A Slug');
    await page.getByLabel('Name', { exact: true }).fill('Acme Labs');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await alert(page, /slug/i);
    await page.getByLabel('Slug').fill('acme-labs');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await notice(page, 'The organization Acme Labs is created; you are its owner.');
    const orgItem = page.locator('#orgs-list li').filter({ hasText: 'Acme Labs (acme-labs)' });
    assert.match((await orgItem.textContent()) ?? '', /Your role: owner/);
    await page.getByRole('heading', { name: 'Acme Labs' }).waitFor();
    const members = page.locator('#org-members-list li');
    assert.equal(await members.count(), 1);
    assert.match((await members.first().textContent()) ?? '', /owner@example\.com.*you.*Role: owner/);
    assert.deepEqual(await myOrganizations(await bearer(owner)), [{ slug: 'acme-labs', role: 'owner' }]);

    // Two invitations; one is cancelled.
    await page.locator('#org-invite-email').fill(invitee);
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await notice(page, `An invitation to join as admin has been mailed to ${invitee}.`);
    await page.locator('#org-invite-email').fill('typo@example.com');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await notice(page, 'mailed to typo@example.com');
    const pending = page.locator('#org-invitations-list li');
    assert.equal(await pending.count(), 2);
    await assertAxeClean(page, 'an organization as its owner sees it, with pending invitations');
    await page.screenshot({ path: join(ARTIFACTS, 'web-organizations.png'), fullPage: true });
    await pending.filter({ hasText: 'typo@example.com' }).getByRole('button', { name: 'Cancel invitation' }).click();
    await notice(page, 'The invitation of typo@example.com is cancelled.');
    assert.equal(await page.locator('#org-invitations-title').evaluate((h) => h === document.activeElement), true, 'focus goes to the list, not the top');
    assert.equal(await pending.count(), 1);
    assert.match((await pending.first().textContent()) ?? '', /invitee@example\.com.*Invited as admin/);

    const { link, token } = await server.mailedLink(invitee, INVITATION_PATH);
    assert.ok(link.startsWith(`${server.url}${INVITATION_PATH}`), link);

    // Someone else signed in opens the forwarded link: refused, and nothing is spent.
    const other = await newContext();
    await logIn(other.page, stranger);
    await other.page.goto(link);
    await alert(other.page, 'This invitation was sent to another email address');
    assert.equal(other.page.url(), `${server.url}/#/organizations`);
    assert.deepEqual(await myOrganizations(await bearer(stranger)), []);

    // The invited user opens the link signed out, is asked to log in, and joins.
    const guest = await newContext();
    await guest.page.goto(link);
    await notice(guest.page, 'Log in with the email address the invitation was sent to');
    assert.equal(guest.page.url(), `${server.url}/`, 'the token is out of the address bar at once');
    await assertAxeClean(guest.page, 'the log-in view with an invitation waiting');
    await fillLogIn(guest.page, invitee);
    await notice(guest.page, 'You have joined Acme Labs as admin.');
    await guest.page.getByRole('heading', { name: 'Acme Labs' }).waitFor();
    assert.equal(guest.page.url(), `${server.url}/#/organizations`);
    assert.ok(
      server.requestedUrls.every((url) => !url.includes(token)),
      'the token never reaches the server in a URL',
    );
    const inviteeToken = await bearer(invitee);
    assert.deepEqual(await myOrganizations(inviteeToken), [{ slug: 'acme-labs', role: 'admin' }]);
    // An admin cannot hand out owner, so the picker does not offer it; the owner is not theirs to change.
    const ownerRow = guest.page.locator('#org-members-list li').filter({ hasText: owner });
    assert.equal(await ownerRow.getByRole('button', { name: 'Change role' }).count(), 0);
    assert.deepEqual(await guest.page.locator('#org-invite-role option').allTextContents(), ['member', 'admin']);
    await assertAxeClean(guest.page, 'an organization as an admin sees it');

    // The link works once.
    await guest.page.goto(link);
    await alert(guest.page, 'The invitation is invalid, used or expired');

    // The owner sees the new member with their role, and makes them a member.
    await page.reload();
    await page.getByRole('heading', { name: 'Your organizations' }).waitFor();
    await page.locator('#orgs-list li').filter({ hasText: 'Acme Labs' }).getByRole('button', { name: 'Open' }).click();
    const inviteeRow = page.locator('#org-members-list li').filter({ hasText: invitee });
    assert.match((await inviteeRow.textContent()) ?? '', /Role: admin/);
    assert.equal(await page.locator('#org-invitations-empty').isVisible(), true, 'the accepted invitation is no longer pending');
    assert.equal(await page.locator('#org-detail h2').evaluate((h) => h === document.activeElement), true, 'focus moves to the opened organization');
    await inviteeRow.getByLabel(`Role of ${invitee}`).selectOption('member');
    await inviteeRow.getByRole('button', { name: 'Change role' }).click();
    await notice(page, `${invitee} is now member.`);
    assert.equal(
      await inviteeRow.getByLabel(`Role of ${invitee}`).evaluate((select) => select === document.activeElement),
      true,
      'focus stays on the member changed',
    );
    assert.deepEqual(await myOrganizations(inviteeToken), [{ slug: 'acme-labs', role: 'member' }]);

    // The last owner cannot leave; the member can.
    await page.getByRole('button', { name: 'Leave this organization' }).click();
    await alert(page, 'An organization keeps at least one owner');
    await guest.page.reload();
    await guest.page.getByRole('heading', { name: 'Your organizations' }).waitFor();
    await guest.page.getByRole('button', { name: 'Open' }).click();
    assert.equal(await guest.page.locator('#org-manage').isVisible(), false, 'a member sees no invitations or invite form');
    await guest.page.getByRole('button', { name: 'Leave this organization' }).click();
    await notice(guest.page, 'You have left Acme Labs.');
    assert.equal(await guest.page.locator('#orgs-empty').isVisible(), true);
    assert.deepEqual(await myOrganizations(inviteeToken), []);
  });

  test('API keys: made with scopes, shown once, listed, working over HTTP, revoked', async () => {
    const email = 'scripter@example.com';
    await register(email);
    const { page } = await newContext();
    await logIn(page, email);
    assert.equal(await page.locator('#api-keys-empty').isVisible(), true);

    await page.getByLabel('Name of the new key').fill('Nightly export');
    await page.getByLabel('Scopes (optional, separated by spaces)').fill('invoices:read reports:read');
    await page.getByLabel('Expires after').selectOption('2592000');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('heading', { name: 'Your new API key' }).waitFor();
    assert.equal(await page.locator('#api-key-created-title').evaluate((h) => h === document.activeElement), true, 'focus moves to the new key');
    const key = (await page.locator('#api-key-value').textContent()) ?? '';
    assert.match(key, /^fu_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    await assertAxeClean(page, 'the profile with a new API key shown');

    const item = page.locator('#api-keys-list li');
    assert.equal(await item.count(), 1);
    const listed = (await item.textContent()) ?? '';
    assert.match(listed, /Nightly export \(fu_[0-9a-f]{8}…\)/);
    assert.match(listed, /scopes invoices:read reports:read/);
    assert.match(listed, /never used/);
    assert.ok(!listed.includes(key), 'the list never shows the key');
    assert.equal(await page.locator('#api-keys-empty').isVisible(), false);

    // The key works as its user, by either header.
    const me = await fetch(`${server.url}/users/me`, { headers: { 'x-api-key': key } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { email: string }).email, email);

    // Shown once: "I have copied it" hides it, and a reload does not bring it back.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await page.locator('#api-key-created').isVisible(), false);
    await page.reload();
    await page.locator('#profile').waitFor();
    assert.ok(!((await page.content()) ?? '').includes(key), 'the key is nowhere in the page after a reload');
    assert.match((await item.textContent()) ?? '', /last used/);

    await item.getByRole('button', { name: 'Revoke' }).click();
    await notice(page, 'The API key "Nightly export" is revoked.');
    assert.equal(await item.count(), 0);
    assert.equal(await page.locator('#api-keys-empty').isVisible(), true);
    assert.equal((await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${key}` } })).status, 401);
    await assertAxeClean(page, 'the profile after revoking');
  });

  test('no CSP violation on any of these pages', () => {
    assert.deepEqual(cspViolations, []);
  });
});
