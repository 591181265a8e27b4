import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { MailMessage } from '../../../src/core/mail.js';
import type { FastifyUsersOptions } from '../../../src/http/plugin.js';
import { buildTestApp, type TestApp, testClock, type TestClock } from '../../support/apps.js';
import { auth, bearerToken, register } from '../../support/requests.js';

/** The plugin with a mailer that keeps every message, and a clock the test moves. */
export interface OrgTestApp extends TestApp {
  clock: TestClock;
  mails: MailMessage[];
  /** Registers a user (verified unless told otherwise) and returns their id, email and bearer token. */
  user(label: string, options?: { verified?: boolean }): Promise<OrgUser>;
  /** A bearer request: `call(token, 'POST', '/orgs', {…})`. */
  call(token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<LightMyRequestResponse>;
  /** The invitation token mailed to `email` last. */
  invitationTokenFor(email: string): Promise<string>;
}

export interface OrgUser {
  id: number;
  email: string;
  token: string;
}

let sequence = 0;

export async function buildOrgApp(options: Partial<FastifyUsersOptions> = {}): Promise<OrgTestApp> {
  const clock = testClock();
  const mails: MailMessage[] = [];
  const t = await buildTestApp({
    publicUrl: 'https://auth.example.test',
    now: () => clock.now,
    mailer: { send: async (message) => void mails.push(message) },
    ...options,
  });
  const app: OrgTestApp = {
    ...t,
    clock,
    mails,
    async user(label, { verified = true } = {}) {
      const email = `${label}-${++sequence}@example.com`;
      const response = await register(t.app, email);
      assert.equal(response.statusCode, 201, response.body);
      const found = await t.store.findUserByEmail(email);
      assert.ok(found);
      // Before the first sign-in, so no cached session holds the user as unverified.
      if (verified) await t.store.updateUser(found.id, { isVerified: true }, clock.now);
      return { id: found.id, email, token: await bearerToken(t.app, email) };
    },
    call(token, method, url, payload) {
      return t.app.inject({ method, url, headers: auth(token), ...(payload === undefined ? {} : { payload }) });
    },
    async invitationTokenFor(email) {
      await t.app.fastifyUsers.mailOutbox.drain();
      const mail = mails.filter((m) => m.to === email).at(-1);
      assert.ok(mail, `no mail to ${email}`);
      const match = /#\/invitations\/accept\?token=([A-Za-z0-9_-]{43})/.exec(mail.text);
      assert.ok(match, mail.text);
      return match[1]!;
    },
  };
  return app;
}

/** Creates an organization owned by `owner` and returns its id. */
export async function createOrg(t: OrgTestApp, owner: OrgUser, slug = `org-${++sequence}`): Promise<number> {
  const response = await t.call(owner.token, 'POST', '/orgs', { name: `Org ${slug}`, slug });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().id;
}

/** Invites `who` with `role` as `by` and accepts as `who`. */
export async function addMember(t: OrgTestApp, orgId: number, by: OrgUser, who: OrgUser, role: 'member' | 'admin' | 'owner'): Promise<void> {
  const invited = await t.call(by.token, 'POST', `/orgs/${orgId}/invitations`, { email: who.email, role });
  assert.equal(invited.statusCode, 201, invited.body);
  const accepted = await t.call(who.token, 'POST', '/invitations/accept', { token: await t.invitationTokenFor(who.email) });
  assert.equal(accepted.statusCode, 200, accepted.body);
}

/** `{status, code}` of a response, for one-line assertions. */
export function outcome(response: LightMyRequestResponse): { status: number; code: string | undefined } {
  return { status: response.statusCode, code: response.statusCode >= 400 ? response.json().code : undefined };
}
