import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers } from '../../../src/http/plugin.js';
import { handleError } from '../../../src/http/reply-error.js';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../../support/constants.js';
import { auth, userWithToken } from '../../support/requests.js';
import { sqliteURL, tempDir } from '../../support/temp.js';

// An organization's API keys (docs/api-keys.md): made by its admins, acting for it within their
// scopes, and ending with their maker's membership or the organization.

describe("an organization's API keys", () => {
  let app: FastifyInstance;
  let store: SQLStore;
  const dir = tempDir();

  before(async () => {
    store = await SQLStore.open(sqliteURL(dir));
    app = Fastify({ logger: false });
    app.setErrorHandler(handleError);
    await app.register(fastifyUsers, {
      store,
      secretKey: TEST_SECRET,
      argon2: FAST_ARGON2,
      unsafeArgon2ForTests: true,
      roles: { member: ['members:read'], admin: ['members:read', 'members:write', 'invoices:read'] },
    });
    app.get<{ Params: { orgId: string } }>(
      '/orgs/:orgId/invoices',
      { preHandler: app.requirePermission('invoices:read', { org: (request) => (request.params as { orgId: string }).orgId }) },
      async (request) => ({
        org: request.membership?.orgId,
      }),
    );
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
    dir.cleanup();
  });

  /** An organization owned by a new user; returns its id and the owner's token. */
  async function organization(label: string): Promise<{ orgId: number; owner: string; ownerId: number }> {
    const owner = await userWithToken(app, `${label}-owner@example.com`);
    const created = await app.inject({
      method: 'POST',
      url: '/orgs',
      headers: auth(owner),
      payload: { name: label, slug: `${label}-${randomBytes(3).toString('hex')}` },
    });
    assert.equal(created.statusCode, 201, created.body);
    const ownerId = (await app.inject({ url: '/users/me', headers: auth(owner) })).json().id;
    return { orgId: created.json().id, owner, ownerId };
  }

  /** Adds a user to the organization with `role` (through the store: invitations have their own tests). */
  async function member(orgId: number, inviterId: number, label: string, role: 'admin' | 'member'): Promise<{ token: string; id: number }> {
    const token = await userWithToken(app, `${label}@example.com`);
    const id = (await app.inject({ url: '/users/me', headers: auth(token) })).json().id;
    const now = new Date();
    await store.organizations.createInvitation({
      orgId,
      email: `${label}@example.com`,
      role,
      tokenDigest: randomBytes(32).toString('hex'),
      invitedBy: inviterId,
      expiresAt: new Date(now.getTime() + 3_600_000),
      createdAt: now,
    });
    const invitation = (await store.organizations.listInvitations(orgId, now)).find((i) => i.email === `${label}@example.com`);
    assert.ok(invitation && (await store.organizations.acceptInvitation(invitation.id, id, now)));
    return { token, id };
  }

  const makeOrgKey = (orgId: number, token: string, payload: Record<string, unknown> = { name: 'billing', scopes: ['invoices:read'] }) =>
    app.inject({ method: 'POST', url: `/orgs/${orgId}/api-keys`, headers: auth(token), payload });
  const withKey = (key: string, url = '/users/me') => app.inject({ url, headers: { 'x-api-key': key } });

  test('admins and owners make, list and revoke keys; members get 403, outsiders 404', async () => {
    const { orgId, owner, ownerId } = await organization('acme');
    const admin = await member(orgId, ownerId, 'acme-admin', 'admin');
    const plain = await member(orgId, ownerId, 'acme-member', 'member');
    const outsider = await userWithToken(app, 'acme-outsider@example.com');
    const made = await makeOrgKey(orgId, admin.token);
    assert.equal(made.statusCode, 201, made.body);
    assert.match(made.json().key, /^fu_[0-9a-f]{8}_/);
    const byMember = await makeOrgKey(orgId, plain.token);
    assert.deepEqual({ s: byMember.statusCode, c: byMember.json().code }, { s: 403, c: 'ORG_FORBIDDEN' });
    const byOutsider = await makeOrgKey(orgId, outsider);
    assert.deepEqual({ s: byOutsider.statusCode, c: byOutsider.json().code }, { s: 404, c: 'ORG_NOT_FOUND' });
    const list = await app.inject({ url: `/orgs/${orgId}/api-keys`, headers: auth(owner) });
    assert.deepEqual(
      list.json().map((k: { id: number }) => k.id),
      [made.json().id],
    );
    assert.equal(list.body.includes(made.json().key), false);
    assert.equal((await app.inject({ url: `/orgs/${orgId}/api-keys`, headers: auth(plain.token) })).statusCode, 403);
    assert.deepEqual((await app.inject({ url: '/users/me/api-keys', headers: auth(admin.token) })).json(), [], "an organization's key is not a personal one");
    // Another organization's admin cannot revoke it.
    const other = await organization('other');
    const foreign = await app.inject({ method: 'DELETE', url: `/orgs/${other.orgId}/api-keys/${made.json().id}`, headers: auth(other.owner) });
    assert.equal(foreign.statusCode, 404);
    assert.equal((await withKey(made.json().key)).statusCode, 200);
    const revoked = await app.inject({ method: 'DELETE', url: `/orgs/${orgId}/api-keys/${made.json().id}`, headers: auth(owner) });
    assert.equal(revoked.statusCode, 204);
    assert.equal((await withKey(made.json().key)).statusCode, 401);
  });

  test('a key acts for its own organization within its scopes, and never changes memberships', async () => {
    const { orgId, owner, ownerId } = await organization('scoped');
    const other = await organization('elsewhere');
    const plain = await member(orgId, ownerId, 'scoped-member', 'member');
    const key = (await makeOrgKey(orgId, owner)).json().key;
    const invoices = await withKey(key, `/orgs/${orgId}/invoices`);
    assert.equal(invoices.statusCode, 200, invoices.body);
    assert.equal(invoices.json().org, orgId);
    assert.equal((await withKey(key, `/orgs/${other.orgId}/invoices`)).statusCode, 404, 'not for another organization');
    const unscoped = (await makeOrgKey(orgId, owner, { name: 'no scopes' })).json().key;
    assert.equal((await withKey(unscoped, `/orgs/${orgId}/invoices`)).json().code, 'INSUFFICIENT_SCOPE');
    for (const [method, url, payload] of [
      ['PATCH', `/orgs/${orgId}/members/${plain.id}`, { role: 'admin' }],
      ['DELETE', `/orgs/${orgId}/members/${plain.id}`, undefined],
      ['POST', `/orgs/${orgId}/invitations`, { email: 'new@example.com', role: 'member' }],
      ['POST', `/orgs/${orgId}/api-keys`, { name: 'child', current_password: PASSWORD }],
      ['PATCH', `/orgs/${orgId}`, { name: 'renamed' }],
      ['DELETE', `/orgs/${orgId}`, undefined],
    ] as const) {
      const response = await app.inject({ method, url, headers: { 'x-api-key': key }, payload });
      assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
      assert.equal(response.json().code, 'FIRST_PARTY_SESSION_REQUIRED');
    }
    const members = await app.inject({ url: `/orgs/${orgId}/members`, headers: auth(owner) });
    assert.equal(members.json().find((m: { user_id: number }) => m.user_id === plain.id)?.role, 'member', 'the membership is unchanged');
  });

  test("an organization key's organization and maker are the path's and the session's: an org_id or user_id in the body is ignored", async () => {
    const { orgId, owner, ownerId } = await organization('pathbound');
    const other = await organization('bodytarget');
    const made = await makeOrgKey(orgId, owner, {
      name: 'bound',
      scopes: ['invoices:read'],
      org_id: other.orgId,
      orgId: other.orgId,
      user_id: other.ownerId,
      userId: other.ownerId,
    });
    assert.equal(made.statusCode, 201, made.body);
    const key = made.json().key;
    assert.equal((await withKey(key, `/orgs/${orgId}/invoices`)).statusCode, 200);
    assert.equal((await withKey(key, `/orgs/${other.orgId}/invoices`)).statusCode, 404, 'not for the organization the body named');
    assert.deepEqual((await app.inject({ url: `/orgs/${other.orgId}/api-keys`, headers: auth(other.owner) })).json(), []);
    const row = await store.db.selectFrom('api_keys').select(['org_id', 'user_id']).where('id', '=', made.json().id).executeTakeFirstOrThrow();
    assert.deepEqual({ org: row.org_id, user: row.user_id }, { org: orgId, user: ownerId });
    // A member of the other organization naming it in the body gets nothing for it either.
    const outsider = await makeOrgKey(orgId, other.owner, { name: 'sneaky', org_id: other.orgId });
    assert.equal(outsider.statusCode, 404);
  });

  test("a personal key of the organization's owner changes no membership and nothing of the organization: 403 on every such route", async () => {
    const { orgId, owner, ownerId } = await organization('personal');
    const plain = await member(orgId, ownerId, 'personal-member', 'member');
    const made = await app.inject({
      method: 'POST',
      url: '/users/me/api-keys',
      headers: auth(owner),
      payload: { name: 'mine', scopes: ['invoices:read', 'members:read', 'members:write', 'invitations:write', 'org:update'] },
    });
    assert.equal(made.statusCode, 201, made.body);
    const key = made.json().key;
    for (const [method, url, payload] of [
      ['PATCH', `/orgs/${orgId}/members/${plain.id}`, { role: 'owner' }],
      ['DELETE', `/orgs/${orgId}/members/${plain.id}`, undefined],
      ['DELETE', `/orgs/${orgId}/members/${ownerId}`, undefined],
      ['POST', `/orgs/${orgId}/invitations`, { email: 'new@example.com', role: 'admin' }],
      ['POST', '/invitations/accept', { token: 'x'.repeat(43) }],
      ['POST', '/orgs', { name: 'By a key', slug: `by-key-${randomBytes(3).toString('hex')}` }],
      ['PATCH', `/orgs/${orgId}`, { require_mfa: true }],
      ['DELETE', `/orgs/${orgId}`, undefined],
      ['POST', `/orgs/${orgId}/api-keys`, { name: 'child' }],
    ] as const) {
      for (const headers of [auth(key), { 'x-api-key': key }]) {
        const response = await app.inject({ method, url, headers, payload });
        assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
        assert.equal(response.json().code, 'FIRST_PARTY_SESSION_REQUIRED');
      }
    }
    const members = await app.inject({ url: `/orgs/${orgId}/members`, headers: auth(owner) });
    assert.deepEqual(
      members
        .json()
        .map((m: { user_id: number; role: string }) => [m.user_id, m.role])
        .sort((a: [number, string], b: [number, string]) => a[0] - b[0]),
      [
        [ownerId, 'owner'],
        [plain.id, 'member'],
      ],
    );
    assert.equal((await app.inject({ url: `/orgs/${orgId}`, headers: auth(owner) })).json().require_mfa, false);
    assert.deepEqual((await app.inject({ url: `/orgs/${orgId}/invitations`, headers: auth(owner) })).json(), []);
  });

  test("an organization key's plaintext is nowhere in the SQLite file, only its digest", async () => {
    const { orgId, owner } = await organization('bytes');
    const made = (await makeOrgKey(orgId, owner)).json() as { key: string; prefix: string };
    assert.equal((await withKey(made.key, `/orgs/${orgId}/invoices`)).statusCode, 200);
    const path = join(dir.path, 'auth.db');
    const files = [path, `${path}-wal`].filter(existsSync).map((file) => readFileSync(file));
    assert.ok(files.length > 0);
    const secret = made.key.slice(made.prefix.length + 1);
    for (const bytes of files) {
      assert.equal(bytes.includes(Buffer.from(made.key)), false);
      assert.equal(bytes.includes(Buffer.from(secret)), false);
    }
    assert.ok(
      files.some((bytes) => bytes.includes(Buffer.from(made.prefix))),
      'the prefix, shown in lists, is there',
    );
  });

  test("a key dies with its maker's membership, and with the organization", async () => {
    const { orgId, owner, ownerId } = await organization('mortal');
    const admin = await member(orgId, ownerId, 'mortal-admin', 'admin');
    const adminsKey = (await makeOrgKey(orgId, admin.token)).json().key;
    const ownersKey = (await makeOrgKey(orgId, owner)).json().key;
    for (const key of [adminsKey, ownersKey]) assert.equal((await withKey(key, `/orgs/${orgId}/invoices`)).statusCode, 200);
    const removed = await app.inject({ method: 'DELETE', url: `/orgs/${orgId}/members/${admin.id}`, headers: auth(owner) });
    assert.equal(removed.statusCode, 204);
    assert.equal((await withKey(adminsKey)).statusCode, 401, 'refused at once once the membership is gone');
    assert.equal((await withKey(ownersKey)).statusCode, 200);
    const deleted = await app.inject({ method: 'DELETE', url: `/orgs/${orgId}`, headers: auth(owner) });
    assert.equal(deleted.statusCode, 204, deleted.body);
    assert.equal((await withKey(ownersKey)).statusCode, 401, 'refused at once once the organization is gone');
    assert.equal(await store.db.selectFrom('api_keys').select('id').where('org_id', '=', orgId).executeTakeFirst(), undefined);
  });
});
