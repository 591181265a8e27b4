import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TestStore } from '../../support/databases.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';
import type { OrganizationStore } from '../../../src/features/organizations/store.js';

const DAY = 86_400_000;
const hex = (n = 6) => randomBytes(n).toString('hex');

/**
 * The contract of the organization tables, run on SQLite and PostgreSQL alike: unique slugs, the
 * owner that an organization always keeps (also under concurrent changes), single-use
 * invitations, and cascades when a user, a membership or an organization goes.
 */
export function organizationStoreConformance(name: string, factory: () => Promise<TestStore>, options: { skip?: string | false } = {}): void {
  describe(`Organization store conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: TestStore;
    let store: SQLStore;
    let orgs: OrganizationStore;
    const now = new Date('2030-01-02T03:04:05.678Z');

    before(async () => {
      fixture = await factory();
      store = fixture.store;
      orgs = store.organizations;
    });
    after(async () => fixture?.cleanup());

    const newUser = async () => {
      const user = await store.createUser({ email: `org-${hex()}@example.com`, hashedPassword: 'h' }, now);
      assert.ok(user);
      return user;
    };
    const newOrg = async (ownerId: number) => {
      const org = await orgs.createOrganization({ name: 'Acme', slug: `acme-${hex()}`, requireMfa: false, ownerId }, now);
      assert.ok(org);
      return org;
    };
    const invitation = (orgId: number, invitedBy: number, overrides: Record<string, unknown> = {}) => ({
      orgId,
      email: `invitee-${hex()}@example.com`,
      role: 'member' as const,
      tokenDigest: hex(32),
      invitedBy,
      expiresAt: new Date(now.getTime() + 7 * DAY),
      createdAt: now,
      ...overrides,
    });

    test('createOrganization makes the creator its owner; a taken slug is null', async () => {
      const user = await newUser();
      const org = await newOrg(user.id);
      assert.equal(typeof org.id, 'number');
      assert.equal(org.requireMfa, false);
      assert.equal(org.createdAt.toISOString(), now.toISOString());
      assert.deepEqual(await orgs.findMembership(org.id, user.id), { orgId: org.id, userId: user.id, role: 'owner', joinedAt: now });
      assert.equal(await orgs.createOrganization({ name: 'Other', slug: org.slug, requireMfa: false, ownerId: user.id }, now), null);
    });

    test('concurrent creations with one slug: exactly one wins', async () => {
      const user = await newUser();
      const slug = `race-${hex()}`;
      const results = await Promise.all(
        Array.from({ length: 5 }, () => orgs.createOrganization({ name: 'R', slug, requireMfa: false, ownerId: user.id }, now)),
      );
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal((await orgs.listOrganizationsOf(user.id)).filter((o) => o.organization.slug === slug).length, 1);
    });

    test('updateOrganization changes name and require_mfa; unknown id is null', async () => {
      const user = await newUser();
      const org = await newOrg(user.id);
      const updated = await orgs.updateOrganization(org.id, { name: 'Renamed', requireMfa: true });
      assert.deepEqual({ name: updated?.name, mfa: updated?.requireMfa, slug: updated?.slug }, { name: 'Renamed', mfa: true, slug: org.slug });
      assert.equal((await orgs.findOrganization(org.id))?.requireMfa, true);
      assert.equal(await orgs.updateOrganization(2_000_000_000, { name: 'x' }), null);
    });

    test('listOrganizationsOf and listMembers show roles and emails', async () => {
      const owner = await newUser();
      const member = await newUser();
      const org = await newOrg(owner.id);
      const invited = await orgs.createInvitation(invitation(org.id, owner.id, { email: member.email, role: 'admin' }));
      assert.ok(await orgs.acceptInvitation(invited.id, member.id, now));
      const mine = await orgs.listOrganizationsOf(member.id);
      assert.deepEqual(
        mine.map((m) => [m.organization.id, m.membership.role]),
        [[org.id, 'admin']],
      );
      const members = await orgs.listMembers(org.id);
      assert.deepEqual(
        members.map((m) => [m.userId, m.email, m.role]),
        [
          [owner.id, owner.email, 'owner'],
          [member.id, member.email, 'admin'],
        ],
      );
    });

    test('the only owner can be neither demoted nor removed; with a second owner either can', async () => {
      const a = await newUser();
      const b = await newUser();
      const org = await newOrg(a.id);
      assert.equal(await orgs.changeRole(org.id, a.id, 'admin'), 'last-owner');
      assert.equal(await orgs.removeMembership(org.id, a.id), 'last-owner');
      assert.equal(await orgs.changeRole(org.id, b.id, 'admin'), 'not-found');
      assert.equal(await orgs.removeMembership(org.id, b.id), 'not-found');
      const inv = await orgs.createInvitation(invitation(org.id, a.id, { email: b.email, role: 'owner' }));
      await orgs.acceptInvitation(inv.id, b.id, now);
      assert.equal(await orgs.changeRole(org.id, a.id, 'member'), 'changed');
      assert.equal(await orgs.removeMembership(org.id, b.id), 'last-owner');
      assert.equal(await orgs.changeRole(org.id, a.id, 'owner'), 'changed');
      assert.equal(await orgs.removeMembership(org.id, b.id), 'changed');
      assert.equal(await orgs.findMembership(org.id, b.id), null);
    });

    test('two owners demoting each other at once: one stays owner', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await newUser();
        const b = await newUser();
        const org = await newOrg(a.id);
        const inv = await orgs.createInvitation(invitation(org.id, a.id, { email: b.email, role: 'owner' }));
        await orgs.acceptInvitation(inv.id, b.id, now);
        const outcomes = await Promise.all([orgs.changeRole(org.id, a.id, 'member'), orgs.removeMembership(org.id, b.id)]);
        assert.deepEqual([...outcomes].sort(), ['changed', 'last-owner']);
        const owners = (await orgs.listMembers(org.id)).filter((m) => m.role === 'owner');
        assert.equal(owners.length, 1);
      }
    });

    test('an invitation is single use, expires, and a newer one for the same email replaces it', async () => {
      const owner = await newUser();
      const org = await newOrg(owner.id);
      const joiner = await newUser();
      const first = await orgs.createInvitation(invitation(org.id, owner.id, { email: joiner.email }));
      const second = await orgs.createInvitation(invitation(org.id, owner.id, { email: joiner.email }));
      assert.equal(await orgs.findInvitation(first.tokenDigest, now), null, 'the older link is replaced');
      assert.deepEqual(
        (await orgs.listInvitations(org.id, now)).map((i) => i.id),
        [second.id],
      );
      const results = await Promise.all([orgs.acceptInvitation(second.id, joiner.id, now), orgs.acceptInvitation(second.id, joiner.id, now)]);
      assert.equal(results.filter((r) => r !== null).length, 1);
      assert.equal(await orgs.findInvitation(second.tokenDigest, now), null);
      assert.deepEqual(await orgs.listInvitations(org.id, now), []);

      const late = await orgs.createInvitation(invitation(org.id, owner.id, { expiresAt: new Date(now.getTime() + 1000) }));
      const later = new Date(now.getTime() + 1000);
      assert.equal(await orgs.findInvitation(late.tokenDigest, later), null);
      assert.equal(await orgs.acceptInvitation(late.id, joiner.id, later), null);
      assert.ok((await orgs.deleteStaleInvitations(later)) >= 1);
    });

    test('accepting keeps an existing member at their role', async () => {
      const owner = await newUser();
      const org = await newOrg(owner.id);
      const inv = await orgs.createInvitation(invitation(org.id, owner.id, { email: owner.email, role: 'member' }));
      assert.equal((await orgs.acceptInvitation(inv.id, owner.id, now))?.role, 'owner');
    });

    test('deleteInvitation cancels a pending invitation of that organization only', async () => {
      const owner = await newUser();
      const org = await newOrg(owner.id);
      const other = await newOrg(owner.id);
      const inv = await orgs.createInvitation(invitation(org.id, owner.id));
      assert.equal(await orgs.deleteInvitation(other.id, inv.id), false);
      assert.equal(await orgs.deleteInvitation(org.id, inv.id), true);
      assert.equal(await orgs.findInvitation(inv.tokenDigest, now), null);
    });

    test('a removed inviter takes their pending invitations along', async () => {
      const owner = await newUser();
      const admin = await newUser();
      const org = await newOrg(owner.id);
      const joined = await orgs.createInvitation(invitation(org.id, owner.id, { email: admin.email, role: 'admin' }));
      await orgs.acceptInvitation(joined.id, admin.id, now);
      const pending = await orgs.createInvitation(invitation(org.id, admin.id));
      assert.equal(await orgs.removeMembership(org.id, admin.id), 'changed');
      assert.equal(await orgs.findInvitation(pending.tokenDigest, now), null);
    });

    test('deleting a user removes their memberships; deleting an organization removes everything in it', async () => {
      const owner = await newUser();
      const member = await newUser();
      const org = await newOrg(owner.id);
      const inv = await orgs.createInvitation(invitation(org.id, owner.id, { email: member.email }));
      await orgs.acceptInvitation(inv.id, member.id, now);
      await store.deleteUser(member.id);
      assert.equal(await orgs.findMembership(org.id, member.id), null);
      const pending = await orgs.createInvitation(invitation(org.id, owner.id));
      assert.equal(await orgs.deleteOrganization(org.id), true);
      assert.equal(await orgs.findOrganization(org.id), null);
      assert.equal(await orgs.findMembership(org.id, owner.id), null);
      assert.equal(await orgs.findInvitation(pending.tokenDigest, now), null);
      assert.equal(await orgs.deleteOrganization(org.id), false);
    });

    test('listSoleOwnerships names organizations the user alone owns, with the other members counted', async () => {
      const user = await newUser();
      const other = await newUser();
      const alone = await newOrg(user.id);
      const withMember = await newOrg(user.id);
      const shared = await newOrg(user.id);
      const m = await orgs.createInvitation(invitation(withMember.id, user.id, { email: other.email }));
      await orgs.acceptInvitation(m.id, other.id, now);
      const o = await orgs.createInvitation(invitation(shared.id, user.id, { email: other.email, role: 'owner' }));
      await orgs.acceptInvitation(o.id, other.id, now);
      assert.deepEqual(await orgs.listSoleOwnerships(user.id), [
        { orgId: alone.id, otherMembers: 0 },
        { orgId: withMember.id, otherMembers: 1 },
      ]);
    });
  });
}
