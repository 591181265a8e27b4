import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enableTOTP } from '../../support/totp.js';
import { bearerToken, browserLogin } from '../../support/requests.js';
import { PASSWORD } from '../../support/constants.js';
import { addMember, buildOrgApp, createOrg, type OrgTestApp, outcome } from './support.js';

describe('organizations over HTTP (docs/organizations.md)', () => {
  let t: OrgTestApp;
  before(async () => {
    t = await buildOrgApp();
  });
  after(async () => t.close());

  test('POST /orgs: 201 with the creator as owner; a taken slug is 400 ORG_SLUG_TAKEN; a bad slug 422; anonymous 401', async () => {
    const owner = await t.user('creator');
    const created = await t.call(owner.token, 'POST', '/orgs', { name: 'Acme', slug: 'acme' });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.deepEqual({ name: body.name, slug: body.slug, role: body.role, mfa: body.require_mfa }, { name: 'Acme', slug: 'acme', role: 'owner', mfa: false });
    assert.match(body.created_at, /^\d{4}-\d\d-\d\dT/);
    const other = await t.user('other');
    assert.deepEqual(outcome(await t.call(other.token, 'POST', '/orgs', { name: 'Acme 2', slug: 'acme' })), { status: 400, code: 'ORG_SLUG_TAKEN' });
    for (const slug of ['A', 'Acme', 'a', 'x'.repeat(49), 'a_b', 'a b', '../x']) {
      assert.equal((await t.call(owner.token, 'POST', '/orgs', { name: 'n', slug })).statusCode, 422, slug);
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/orgs', payload: { name: 'n', slug: 'anon' } })).statusCode, 401);
    const mine = await t.call(owner.token, 'GET', '/orgs');
    assert.deepEqual(
      mine.json().map((o: { slug: string; role: string }) => [o.slug, o.role]),
      [['acme', 'owner']],
    );
  });

  test('a non-member cannot tell an organization exists: every route answers as for an unknown id', async () => {
    const owner = await t.user('owner');
    const stranger = await t.user('stranger');
    const orgId = await createOrg(t, owner);
    const unknown = 2_000_000_000;
    const probes = (id: number) =>
      [
        ['GET', `/orgs/${id}`],
        ['PATCH', `/orgs/${id}`, { name: 'x' }],
        ['DELETE', `/orgs/${id}`],
        ['GET', `/orgs/${id}/members`],
        ['PATCH', `/orgs/${id}/members/${owner.id}`, { role: 'member' }],
        ['DELETE', `/orgs/${id}/members/${owner.id}`],
        ['DELETE', `/orgs/${id}/members/${stranger.id}`],
        ['POST', `/orgs/${id}/invitations`, { email: 'x@example.com', role: 'member' }],
        ['GET', `/orgs/${id}/invitations`],
        ['DELETE', `/orgs/${id}/invitations/1`],
        ['GET', `/orgs/${id}/api-keys`],
        ['POST', `/orgs/${id}/api-keys`, { name: 'x', scopes: ['members:read'] }],
        ['DELETE', `/orgs/${id}/api-keys/1`],
      ] as const;
    const existing = probes(orgId);
    const missing = probes(unknown);
    for (let i = 0; i < existing.length; i++) {
      const [method, url, payload] = existing[i]!;
      const a = await t.call(stranger.token, method, url, payload);
      const b = await t.call(stranger.token, missing[i]![0], missing[i]![1], missing[i]![2]);
      assert.deepEqual(outcome(a), { status: 404, code: 'ORG_NOT_FOUND' }, `${method} ${url}`);
      assert.equal(a.body, b.body, `${method} ${url}: same body as for an unknown id`);
    }
    // Nothing changed for the owner.
    assert.equal((await t.call(owner.token, 'GET', `/orgs/${orgId}/members`)).json().length, 1);
  });

  test('a member reads the organization and its members but changes nothing: 403 ORG_FORBIDDEN', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    assert.equal((await t.call(member.token, 'GET', `/orgs/${orgId}`)).json().role, 'member');
    const members = (await t.call(member.token, 'GET', `/orgs/${orgId}/members`)).json();
    assert.deepEqual(
      members.map((m: { email: string; role: string }) => [m.email, m.role]),
      [
        [owner.email, 'owner'],
        [member.email, 'member'],
      ],
    );
    for (const [method, url, payload] of [
      ['PATCH', `/orgs/${orgId}`, { name: 'Mine now' }],
      ['DELETE', `/orgs/${orgId}`],
      ['PATCH', `/orgs/${orgId}/members/${member.id}`, { role: 'admin' }],
      ['DELETE', `/orgs/${orgId}/members/${owner.id}`],
      ['POST', `/orgs/${orgId}/invitations`, { email: 'friend@example.com', role: 'member' }],
      ['GET', `/orgs/${orgId}/invitations`],
    ] as const) {
      assert.deepEqual(outcome(await t.call(member.token, method, url, payload)), { status: 403, code: 'ORG_FORBIDDEN' }, `${method} ${url}`);
    }
    assert.equal((await t.call(owner.token, 'GET', `/orgs/${orgId}`)).json().name.startsWith('Org '), true);
  });

  test('admins manage members and admins; only an owner grants, demotes or removes an owner', async () => {
    const owner = await t.user('owner');
    const admin = await t.user('admin');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, admin, 'admin');
    await addMember(t, orgId, admin, member, 'member');
    const promote = await t.call(admin.token, 'PATCH', `/orgs/${orgId}/members/${member.id}`, { role: 'admin' });
    assert.equal(promote.statusCode, 200);
    assert.equal(promote.json().role, 'admin');
    assert.deepEqual(outcome(await t.call(admin.token, 'PATCH', `/orgs/${orgId}/members/${member.id}`, { role: 'owner' })), {
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    assert.deepEqual(outcome(await t.call(admin.token, 'PATCH', `/orgs/${orgId}/members/${admin.id}`, { role: 'owner' })), {
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    assert.deepEqual(outcome(await t.call(admin.token, 'PATCH', `/orgs/${orgId}/members/${owner.id}`, { role: 'member' })), {
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    assert.deepEqual(outcome(await t.call(admin.token, 'DELETE', `/orgs/${orgId}/members/${owner.id}`)), { status: 403, code: 'ORG_FORBIDDEN' });
    assert.deepEqual(outcome(await t.call(admin.token, 'POST', `/orgs/${orgId}/invitations`, { email: 'boss@example.com', role: 'owner' })), {
      status: 403,
      code: 'ORG_FORBIDDEN',
    });
    assert.deepEqual(outcome(await t.call(admin.token, 'PATCH', `/orgs/${orgId}/members/999999`, { role: 'member' })), {
      status: 404,
      code: 'ORG_MEMBER_NOT_FOUND',
    });
    // An owner may grant owner, and then the first owner may step down.
    assert.equal((await t.call(owner.token, 'PATCH', `/orgs/${orgId}/members/${admin.id}`, { role: 'owner' })).statusCode, 200);
    assert.equal((await t.call(owner.token, 'PATCH', `/orgs/${orgId}/members/${owner.id}`, { role: 'member' })).statusCode, 200);
    assert.equal((await t.call(admin.token, 'DELETE', `/orgs/${orgId}/members/${member.id}`)).statusCode, 204);
    assert.deepEqual(outcome(await t.call(member.token, 'GET', `/orgs/${orgId}`)), { status: 404, code: 'ORG_NOT_FOUND' });
  });

  test('the last owner can neither leave nor be demoted: 400 ORG_LAST_OWNER; a member leaves with their own id', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    assert.deepEqual(outcome(await t.call(owner.token, 'PATCH', `/orgs/${orgId}/members/${owner.id}`, { role: 'admin' })), {
      status: 400,
      code: 'ORG_LAST_OWNER',
    });
    assert.deepEqual(outcome(await t.call(owner.token, 'DELETE', `/orgs/${orgId}/members/${owner.id}`)), { status: 400, code: 'ORG_LAST_OWNER' });
    assert.equal((await t.call(member.token, 'DELETE', `/orgs/${orgId}/members/${member.id}`)).statusCode, 204);
    assert.deepEqual(await t.call(member.token, 'GET', '/orgs').then((r) => r.json()), []);
    assert.equal((await t.call(owner.token, 'GET', `/orgs/${orgId}`)).json().role, 'owner');
  });

  test('invitations: mailed, listed without their token, single use, 7 days, cancellable', async () => {
    const owner = await t.user('owner');
    const invitee = await t.user('invitee');
    const orgId = await createOrg(t, owner);
    const invited = await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: invitee.email.toUpperCase(), role: 'admin' });
    assert.equal(invited.statusCode, 201);
    assert.deepEqual(Object.keys(invited.json()).sort(), ['created_at', 'email', 'expires_at', 'id', 'invited_by', 'role']);
    assert.equal(invited.json().email, invitee.email, 'normalised like account emails');
    assert.equal(new Date(invited.json().expires_at).getTime() - t.clock.now.getTime(), 7 * 86_400_000);
    const token = await t.invitationTokenFor(invitee.email);
    const listed = await t.call(owner.token, 'GET', `/orgs/${orgId}/invitations`);
    assert.equal(listed.json().length, 1);
    assert.ok(!listed.body.includes(token));

    const accepted = await t.call(invitee.token, 'POST', '/invitations/accept', { token });
    assert.equal(accepted.statusCode, 200);
    assert.deepEqual({ id: accepted.json().id, role: accepted.json().role }, { id: orgId, role: 'admin' });
    assert.deepEqual(outcome(await t.call(invitee.token, 'POST', '/invitations/accept', { token })), { status: 400, code: 'INVITATION_INVALID' });
    assert.deepEqual((await t.call(owner.token, 'GET', `/orgs/${orgId}/invitations`)).json(), []);
    for (const garbage of ['x', 'A'.repeat(43), 'A'.repeat(256)]) {
      assert.deepEqual(outcome(await t.call(invitee.token, 'POST', '/invitations/accept', { token: garbage })), { status: 400, code: 'INVITATION_INVALID' });
    }

    const late = await t.user('late');
    await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: late.email, role: 'member' });
    const lateToken = await t.invitationTokenFor(late.email);
    t.clock.advance(7 * 86_400);
    late.token = await bearerToken(t.app, late.email);
    owner.token = await bearerToken(t.app, owner.email);
    assert.deepEqual(outcome(await t.call(late.token, 'POST', '/invitations/accept', { token: lateToken })), { status: 400, code: 'INVITATION_INVALID' });

    const cancelled = await t.user('cancelled');
    const pending = await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: cancelled.email, role: 'member' });
    const cancelledToken = await t.invitationTokenFor(cancelled.email);
    assert.equal((await t.call(owner.token, 'DELETE', `/orgs/${orgId}/invitations/${pending.json().id}`)).statusCode, 204);
    assert.deepEqual(outcome(await t.call(owner.token, 'DELETE', `/orgs/${orgId}/invitations/${pending.json().id}`)), {
      status: 404,
      code: 'INVITATION_NOT_FOUND',
    });
    assert.deepEqual(outcome(await t.call(cancelled.token, 'POST', '/invitations/accept', { token: cancelledToken })), {
      status: 400,
      code: 'INVITATION_INVALID',
    });
  });

  test('an invitation is accepted only by the invited address, verified: another account or an unverified one is 403 INVITATION_EMAIL_MISMATCH and spends nothing', async () => {
    const owner = await t.user('owner');
    const orgId = await createOrg(t, owner);
    const invitee = await t.user('invitee', { verified: false });
    const interceptor = await t.user('interceptor');
    await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: invitee.email, role: 'member' });
    const token = await t.invitationTokenFor(invitee.email);
    assert.deepEqual(outcome(await t.call(interceptor.token, 'POST', '/invitations/accept', { token })), { status: 403, code: 'INVITATION_EMAIL_MISMATCH' });
    assert.deepEqual(outcome(await t.call(invitee.token, 'POST', '/invitations/accept', { token })), { status: 403, code: 'INVITATION_EMAIL_MISMATCH' });
    assert.deepEqual(outcome(await t.call(interceptor.token, 'GET', `/orgs/${orgId}`)), { status: 404, code: 'ORG_NOT_FOUND' });
    await t.store.updateUser(invitee.id, { isVerified: true }, t.clock.now);
    invitee.token = await bearerToken(t.app, invitee.email);
    assert.equal((await t.call(invitee.token, 'POST', '/invitations/accept', { token })).statusCode, 200);
    assert.equal(await t.app.inject({ method: 'POST', url: '/invitations/accept', payload: { token } }).then((r) => r.statusCode), 401);
  });

  test('require_mfa: members without TOTP or a passkey get 403 ORG_MFA_REQUIRED; turning it on needs a factor of the one who does', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    assert.deepEqual(outcome(await t.call(owner.token, 'PATCH', `/orgs/${orgId}`, { require_mfa: true })), { status: 403, code: 'ORG_MFA_REQUIRED' });
    await enableTOTP(t.app, owner.token, () => t.clock.now);
    const on = await t.call(owner.token, 'PATCH', `/orgs/${orgId}`, { require_mfa: true, name: 'Secure' });
    assert.equal(on.statusCode, 200);
    assert.deepEqual({ mfa: on.json().require_mfa, name: on.json().name }, { mfa: true, name: 'Secure' });
    assert.deepEqual(outcome(await t.call(member.token, 'GET', `/orgs/${orgId}`)), { status: 403, code: 'ORG_MFA_REQUIRED' });
    assert.deepEqual(outcome(await t.call(member.token, 'GET', `/orgs/${orgId}/members`)), { status: 403, code: 'ORG_MFA_REQUIRED' });
    assert.deepEqual(outcome(await t.call(member.token, 'GET', `/orgs/${orgId}/api-keys`)), { status: 403, code: 'ORG_MFA_REQUIRED' });
    // The rule is no existence oracle: a stranger without a factor still gets the unknown id's 404.
    const stranger = await t.user('stranger');
    const seen = await t.call(stranger.token, 'GET', `/orgs/${orgId}`);
    assert.deepEqual(outcome(seen), { status: 404, code: 'ORG_NOT_FOUND' });
    assert.equal(seen.body, (await t.call(stranger.token, 'GET', '/orgs/2000000000')).body);
    // Joining is refused too, without spending the invitation.
    const joiner = await t.user('joiner');
    await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: joiner.email, role: 'member' });
    const token = await t.invitationTokenFor(joiner.email);
    assert.deepEqual(outcome(await t.call(joiner.token, 'POST', '/invitations/accept', { token })), { status: 403, code: 'ORG_MFA_REQUIRED' });
    await enableTOTP(t.app, member.token, () => t.clock.now);
    assert.equal((await t.call(member.token, 'GET', `/orgs/${orgId}`)).statusCode, 200);
    await enableTOTP(t.app, joiner.token, () => t.clock.now);
    assert.equal((await t.call(joiner.token, 'POST', '/invitations/accept', { token })).statusCode, 200);
  });

  test('deleting an organization takes its memberships and invitations; only an owner may', async () => {
    const owner = await t.user('owner');
    const admin = await t.user('admin');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, admin, 'admin');
    const removed: unknown[] = [];
    t.app.fastifyUsers.organizations!.onOrganizationDeleted((id) => void removed.push(id));
    await t.call(owner.token, 'POST', `/orgs/${orgId}/invitations`, { email: 'pending@example.com', role: 'member' });
    assert.deepEqual(outcome(await t.call(admin.token, 'DELETE', `/orgs/${orgId}`)), { status: 403, code: 'ORG_FORBIDDEN' });
    assert.equal((await t.call(owner.token, 'DELETE', `/orgs/${orgId}`)).statusCode, 204);
    assert.deepEqual(removed, [orgId]);
    assert.deepEqual(outcome(await t.call(admin.token, 'GET', `/orgs/${orgId}`)), { status: 404, code: 'ORG_NOT_FOUND' });
    assert.deepEqual(await t.store.organizations.listMembers(orgId), []);
    assert.deepEqual(await t.store.organizations.listInvitations(orgId, t.clock.now), []);
  });

  test('deleting a user: refused while they alone own an organization with other members; organizations they alone belong to go with them', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const shared = await createOrg(t, owner);
    const solo = await createOrg(t, owner);
    await addMember(t, shared, owner, member, 'member');
    const deleteMe = (token: string) =>
      t.app.inject({ method: 'DELETE', url: '/users/me', headers: { authorization: `Bearer ${token}` }, payload: { current_password: PASSWORD } });
    assert.deepEqual(outcome(await deleteMe(owner.token)), { status: 400, code: 'ORG_LAST_OWNER' });
    assert.ok(await t.store.findUserById(owner.id), 'the user stays');
    // A member's deletion removes their membership.
    assert.equal((await deleteMe(member.token)).statusCode, 204);
    assert.deepEqual(
      (await t.call(owner.token, 'GET', `/orgs/${shared}/members`)).json().map((m: { user_id: number }) => m.user_id),
      [owner.id],
    );
    assert.equal((await deleteMe(owner.token)).statusCode, 204);
    assert.equal(await t.store.organizations.findOrganization(shared), null);
    assert.equal(await t.store.organizations.findOrganization(solo), null);
  });

  test('a superuser deleting a sole owner is refused the same way', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    const admin = await t.user('superuser');
    await t.store.updateUser(admin.id, { isSuperuser: true }, t.clock.now);
    assert.deepEqual(outcome(await t.call(admin.token, 'DELETE', `/users/${owner.id}`)), { status: 400, code: 'ORG_LAST_OWNER' });
    assert.equal((await t.call(owner.token, 'PATCH', `/orgs/${orgId}/members/${member.id}`, { role: 'owner' })).statusCode, 200);
    assert.equal((await t.call(admin.token, 'DELETE', `/users/${owner.id}`)).statusCode, 204);
    assert.equal((await t.call(member.token, 'GET', `/orgs/${orgId}`)).json().role, 'owner');
  });

  test('a removed membership is announced to onMembershipRemoved listeners', async () => {
    const owner = await t.user('owner');
    const member = await t.user('member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    const seen: unknown[] = [];
    t.app.fastifyUsers.organizations!.onMembershipRemoved((change) => void seen.push(change));
    await t.call(owner.token, 'DELETE', `/orgs/${orgId}/members/${member.id}`);
    assert.deepEqual(seen, [{ orgId, userId: member.id }]);
  });

  test('organization and membership changes are recorded in the audit log with the organization', async () => {
    const owner = await t.user('audited');
    const member = await t.user('audited-member');
    const orgId = await createOrg(t, owner);
    await addMember(t, orgId, owner, member, 'member');
    await t.call(owner.token, 'PATCH', `/orgs/${orgId}/members/${member.id}`, { role: 'admin' });
    await t.call(owner.token, 'PATCH', `/orgs/${orgId}`, { name: 'Renamed' });
    await t.call(owner.token, 'DELETE', `/orgs/${orgId}/members/${member.id}`);
    await t.call(owner.token, 'DELETE', `/orgs/${orgId}`);
    const events = (await t.store.audit.list({ userId: member.id, limit: 50 })).concat(await t.store.audit.list({ userId: owner.id, limit: 50 }));
    const seen = (type: string) => events.find((e) => e.type === type && e.orgId === orgId);
    assert.deepEqual(seen('membership.added')?.detail, { role: 'member' });
    assert.deepEqual(seen('membership.changed')?.detail, { role: 'admin', previous_role: 'member' });
    assert.equal(seen('membership.changed')?.subjectUserId, member.id);
    assert.equal(seen('membership.changed')?.actorUserId, owner.id);
    assert.deepEqual(seen('membership.removed')?.detail, { role: 'admin' });
    assert.deepEqual(seen('organization.updated')?.detail, { fields: ['name'] });
    assert.ok(seen('organization.created') && seen('organization.deleted'));
  });

  test('with the cookie, changes need the CSRF header like every unsafe route', async () => {
    const session = await browserLogin(t.app, `browser-${Date.now()}@example.com`);
    const without = await t.app.inject({
      method: 'POST',
      url: '/orgs',
      headers: { cookie: session.cookie },
      payload: { name: 'n', slug: `csrf-${Date.now()}` },
    });
    assert.equal(without.statusCode, 403);
    const withHeader = await t.app.inject({
      method: 'POST',
      url: '/orgs',
      headers: { cookie: session.cookie, 'x-csrftoken': session.csrf },
      payload: { name: 'n', slug: `csrf-${Date.now()}` },
    });
    assert.equal(withHeader.statusCode, 201);
  });
});

describe('organizations: false', () => {
  test('removes the routes and the guard', async () => {
    const t = await buildOrgApp({ organizations: false });
    try {
      const user = await t.user('off');
      assert.equal((await t.call(user.token, 'GET', '/orgs')).statusCode, 404);
      assert.equal(t.app.hasDecorator('requirePermission'), false);
    } finally {
      await t.close();
    }
  });
});
