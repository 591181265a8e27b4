import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH, VERIFY_LINK_PATH } from '../../../src/core/account-tokens.js';
import type { AuditRecord } from '../../../src/core/audit.js';
import { PasswordContext } from '../../../src/core/password.js';
import { buildMailApp, type MailApp, PUBLIC_URL } from '../../support/apps.js';
import { FAST_ARGON2, PASSWORD } from '../../support/constants.js';
import { tokenFromMail } from '../../support/mail.js';
import { auth, bearerToken, register, userWithToken } from '../../support/requests.js';
import { readSignInMail, verify } from '../email-sign-in/flow.js';
import { enableTOTP, totpAt } from '../../support/totp.js';
import { softwareAuthenticator } from '../../support/webauthn.js';
import { browse, CookieJar } from '../oauth-client/flow.js';
import { startStandInIssuer, type StandInIssuer } from '../oauth-client/stand-in-issuer.js';

const AGENT = 'events-test/1.0';
const NEW_PASSWORD = 'a new and long enough passphrase';

/**
 * Every event family of docs/audit.md is recorded where it happens, through the route that does
 * it, with the actor, the subject, the address and the user agent of the request, and a detail
 * that holds no secret.
 */
describe('security events are recorded where they happen', () => {
  let t: MailApp;
  let issuer: StandInIssuer;
  /** Every value a test typed that must never reach the log (passwords, tokens, codes, keys). */
  const secrets: string[] = [PASSWORD, NEW_PASSWORD];

  before(async () => {
    issuer = await startStandInIssuer({ clientId: 'events-client' });
    t = await buildMailApp({ oauthProviders: [{ name: 'standin', issuer: issuer.issuer, clientId: 'events-client', clientSecret: 's' }] });
  });
  after(async () => {
    await t.close();
    await issuer.close();
  });

  const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { ...auth(token), 'user-agent': AGENT }, payload });
  const eventsOf = async (userId: number): Promise<AuditRecord[]> => t.store.audit.list({ userId, limit: 200 });
  const last = async (userId: number, type: string) => (await eventsOf(userId)).find((e) => e.type === type);
  const newUser = async (name: string) => {
    const token = await userWithToken(t.app, `${name}@example.com`);
    secrets.push(token);
    const me = await call(token, 'GET', '/users/me');
    return { token, id: me.json().id as number, email: `${name}@example.com` };
  };

  test('registration and sign-out', async () => {
    const user = await newUser('signout');
    const registered = await last(user.id, 'user.registered');
    assert.deepEqual(registered?.detail, { method: 'password' });
    assert.equal(registered?.actorUserId, user.id);
    assert.equal((await call(user.token, 'POST', '/logout')).statusCode, 204);
    const signOut = await last(user.id, 'sign_out');
    assert.deepEqual(
      { actor: signOut?.actorUserId, subject: signOut?.subjectUserId, agent: signOut?.userAgent, ip: signOut?.ip, detail: signOut?.detail },
      { actor: user.id, subject: user.id, agent: AGENT, ip: '127.0.0.1', detail: {} },
    );
  });

  test('password changed, and password reset by the mailed link', async () => {
    const user = await newUser('password');
    const changed = await call(user.token, 'PATCH', '/users/me', { password: NEW_PASSWORD, current_password: PASSWORD });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual((await last(user.id, 'password.changed'))?.detail, {});
    assert.equal(await last(user.id, 'email.changed'), undefined, 'no email event for a password change');

    await t.app.inject({ method: 'POST', url: '/forgot-password', payload: { email: user.email } });
    const token = tokenFromMail((await t.mailsTo(user.email)).at(-1)!, RESET_PASSWORD_LINK_PATH).token;
    secrets.push(token);
    const reset = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password: PASSWORD } });
    assert.equal(reset.statusCode, 200, reset.body);
    const event = await last(user.id, 'password.reset');
    assert.equal(event?.actorUserId, user.id);
    assert.equal(event?.subjectUserId, user.id);
  });

  test('email changed, then verified', async () => {
    const user = await newUser('email-old');
    const changed = await call(user.token, 'PATCH', '/users/me', { email: 'email-new@example.com', current_password: PASSWORD });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual((await last(user.id, 'email.changed'))?.detail, { previous_email: 'email-old@example.com', email: 'email-new@example.com' });

    await t.app.inject({ method: 'POST', url: '/request-verify-token', payload: { email: 'email-new@example.com' } });
    const token = tokenFromMail((await t.mailsTo('email-new@example.com')).at(-1)!, VERIFY_LINK_PATH).token;
    secrets.push(token);
    assert.equal((await t.app.inject({ method: 'POST', url: '/verify', payload: { token } })).statusCode, 200);
    assert.deepEqual((await last(user.id, 'email.verified'))?.detail, { email: 'email-new@example.com' });
  });

  test('TOTP on, a recovery code used at sign-in, TOTP off', async () => {
    const user = await newUser('totp');
    const { secret, recoveryCodes } = await enableTOTP(t.app, user.token, () => t.clock.now);
    secrets.push(secret, ...recoveryCodes);
    assert.ok(await last(user.id, 'totp.enabled'));

    const login = await t.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': AGENT },
      payload: new URLSearchParams({ username: user.email, password: PASSWORD, otp: recoveryCodes[0]! }).toString(),
    });
    assert.equal(login.statusCode, 200, login.body);
    secrets.push(login.json().access_token);
    const used = await last(user.id, 'recovery_code.used');
    assert.deepEqual(used?.detail, { remaining: recoveryCodes.length - 1 });
    assert.equal(used?.userAgent, AGENT);

    // A recovery code spent outside sign-in is recorded too: to re-authenticate, and to turn TOTP off.
    const again = await call(login.json().access_token, 'POST', '/users/me/reauthenticate', { otp: recoveryCodes[1]! });
    assert.equal(again.statusCode, 204, again.body);
    assert.deepEqual((await last(user.id, 'recovery_code.used'))?.detail, { remaining: recoveryCodes.length - 2 });
    t.clock.advance(60);
    const code = totpAt(secret, t.clock.now);
    assert.equal((await call(login.json().access_token, 'POST', '/users/me/reauthenticate', { otp: code })).statusCode, 204);
    assert.equal((await eventsOf(user.id)).filter((e) => e.type === 'recovery_code.used').length, 2, 'a TOTP code is no recovery code');
    const off = await call(login.json().access_token, 'DELETE', '/users/me/totp', { current_password: PASSWORD, code: recoveryCodes[2]! });
    assert.equal(off.statusCode, 204, off.body);
    assert.ok(await last(user.id, 'totp.disabled'));
    assert.deepEqual((await last(user.id, 'recovery_code.used'))?.detail, { remaining: recoveryCodes.length - 3 });
  });

  test('passkey added and removed', async () => {
    const user = await newUser('passkey');
    const options = await call(user.token, 'POST', '/users/me/passkeys/options');
    const rpId = new URL(PUBLIC_URL).hostname;
    const created = await call(user.token, 'POST', '/users/me/passkeys', {
      name: 'Laptop',
      response: softwareAuthenticator(rpId).attest(options.json().challenge, PUBLIC_URL),
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as number;
    assert.deepEqual((await last(user.id, 'passkey.added'))?.detail, { passkey_id: id, name: 'Laptop' });
    assert.equal((await call(user.token, 'DELETE', `/users/me/passkeys/${id}`)).statusCode, 204);
    assert.deepEqual((await last(user.id, 'passkey.removed'))?.detail, { passkey_id: id });
  });

  test('an identity provider: the account it creates, its link, and the unlink', async () => {
    const jar = new CookieJar();
    const start = await browse(t.app, jar, '/oauth/standin/authorize');
    const authorization = new URL(start.headers.location as string);
    issuer.fault = 'valid';
    issuer.nonce = authorization.searchParams.get('nonce')!;
    issuer.subject = { sub: 'events-sub', email: 'provider@example.com', email_verified: true };
    const back = await browse(t.app, jar, `/oauth/standin/callback?code=c&state=${authorization.searchParams.get('state')}`);
    assert.equal(back.statusCode, 302);
    const user = (await t.store.findUserByEmail('provider@example.com'))!;
    assert.deepEqual((await last(user.id, 'user.registered'))?.detail, { method: 'provider' });
    assert.deepEqual((await last(user.id, 'provider.linked'))?.detail, { provider: 'standin' });

    // A password first, so that the link is not the last way in.
    const passwords = new PasswordContext({ argon2: FAST_ARGON2 });
    await t.store.updateUser(user.id, { hashedPassword: await passwords.hashPassword(PASSWORD) }, new Date());
    const token = await bearerToken(t.app, 'provider@example.com');
    secrets.push(token);
    const [account] = (await call(token, 'GET', '/users/me/accounts')).json();
    assert.equal((await call(token, 'DELETE', `/users/me/accounts/${account.id}`)).statusCode, 204);
    assert.deepEqual((await last(user.id, 'provider.unlinked'))?.detail, { provider: 'standin' });
  });

  test('sessions revoked: one, and all the others', async () => {
    const user = await newUser('sessions');
    const other = await bearerToken(t.app, user.email);
    const third = await bearerToken(t.app, user.email);
    secrets.push(other, third);
    const [session] = (await call(user.token, 'GET', '/users/me/sessions')).json().filter((s: { current: boolean }) => !s.current);
    assert.equal((await call(user.token, 'DELETE', `/users/me/sessions/${session.id}`)).statusCode, 204);
    assert.deepEqual((await last(user.id, 'session.revoked'))?.detail, { scope: 'one', count: 1 });
    assert.equal((await call(user.token, 'DELETE', '/users/me/sessions')).statusCode, 204);
    assert.deepEqual((await last(user.id, 'session.revoked'))?.detail, { scope: 'others', count: 1 });
  });

  test('API key created and revoked (the key itself is never recorded)', async () => {
    const user = await newUser('apikey');
    const created = await call(user.token, 'POST', '/users/me/api-keys', { name: 'ci' });
    assert.equal(created.statusCode, 201, created.body);
    secrets.push(created.json().key);
    const id = created.json().id as number;
    assert.deepEqual((await last(user.id, 'api_key.created'))?.detail, { key_id: id, name: 'ci' });
    assert.equal((await call(user.token, 'DELETE', `/users/me/api-keys/${id}`)).statusCode, 204);
    assert.deepEqual((await last(user.id, 'api_key.revoked'))?.detail, { key_id: id });
  });

  test("an administrator's changes to a user carry the administrator as actor and the user as subject", async () => {
    await t.app.fastifyUsers.auth.register('events-root@example.com', PASSWORD, { isSuperuser: true });
    const root = await bearerToken(t.app, 'events-root@example.com');
    secrets.push(root);
    const rootId = (await call(root, 'GET', '/users/me')).json().id as number;
    const user = await newUser('administered');
    const patched = await call(root, 'PATCH', `/users/${user.id}`, { is_verified: true, password: NEW_PASSWORD });
    assert.equal(patched.statusCode, 200, patched.body);
    const updated = await last(user.id, 'admin.user_updated');
    assert.deepEqual(updated?.detail, { changes: { is_verified: true, password: true } });
    assert.deepEqual([updated?.actorUserId, updated?.subjectUserId], [rootId, user.id]);
    assert.equal((await call(root, 'DELETE', `/users/${user.id}`)).statusCode, 204);
    const deleted = await last(user.id, 'admin.user_deleted');
    assert.deepEqual(deleted?.detail, { email: user.email });
    assert.equal(deleted?.actorUserId, rootId);
  });

  test('an account deleted by its owner', async () => {
    const user = await newUser('leaving');
    assert.equal((await call(user.token, 'DELETE', '/users/me', { current_password: PASSWORD })).statusCode, 204);
    // The events outlive the user: the table has no foreign keys (docs/audit.md).
    assert.ok(await last(user.id, 'user.deleted'));
  });

  test('no stored row holds a password, token, code or key used above, and the chain verifies', async () => {
    const rows = await t.store.db.selectFrom('audit_events').selectAll().execute();
    assert.ok(rows.length > 20);
    const text = JSON.stringify(rows);
    for (const secret of secrets) assert.ok(!text.includes(secret), `a secret reached the audit log: ${secret.slice(0, 6)}…`);
    assert.equal((await t.store.audit.verify()).ok, true);
  });
});

describe('signing in by mail', () => {
  let t: MailApp;
  before(async () => {
    t = await buildMailApp({ emailSignup: true });
  });
  after(async () => t.close());

  /** Asks a code for `email` as an API client and signs in with it. */
  async function signInByCode(email: string): Promise<void> {
    const asked = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email, transport: 'bearer' } });
    assert.equal(asked.statusCode, 202);
    const { code } = readSignInMail((await t.mailsTo(email)).at(-1)!);
    const done = await verify(t.app, { email, code, request_id: asked.json().request_id });
    assert.equal(done.statusCode, 200, done.body);
  }

  test('an account made by mail is recorded as registered by email; an unverified address proven by mail as verified', async () => {
    await signInByCode('by-mail@example.com');
    const made = (await t.store.findUserByEmail('by-mail@example.com'))!;
    const madeEvents = await t.store.audit.list({ subjectUserId: made.id, limit: 10 });
    assert.deepEqual(
      madeEvents.map((e) => [e.type, e.detail]),
      [
        ['sign_in.succeeded', { method: 'email_code', amr: ['email'] }],
        ['user.registered', { method: 'email' }],
      ],
    );

    await register(t.app, 'unproven@example.com');
    await signInByCode('unproven@example.com');
    const unproven = (await t.store.findUserByEmail('unproven@example.com'))!;
    const [, verified] = await t.store.audit.list({ subjectUserId: unproven.id, limit: 10 });
    assert.deepEqual([verified?.type, verified?.detail, verified?.actorUserId], ['email.verified', { email: 'unproven@example.com' }, unproven.id]);
    // Verified now: the next sign-in by mail records no second verification.
    await signInByCode('unproven@example.com');
    assert.equal((await t.store.audit.list({ subjectUserId: unproven.id, type: 'email.verified', limit: 10 })).length, 1);
  });
});
