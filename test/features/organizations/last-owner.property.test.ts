import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Role } from '../../../src/features/organizations/roles.js';
import { buildOrgApp, type OrgTestApp, type OrgUser } from './support.js';

const USERS = 4;
const ROLE = fc.constantFrom<Role>('member', 'admin', 'owner');
const COMMAND = fc.oneof(
  fc.record({ op: fc.constant('role' as const), actor: fc.nat(USERS - 1), target: fc.nat(USERS - 1), role: ROLE }),
  fc.record({ op: fc.constant('remove' as const), actor: fc.nat(USERS - 1), target: fc.nat(USERS - 1) }),
  fc.record({ op: fc.constant('leave' as const), actor: fc.nat(USERS - 1) }),
  fc.record({ op: fc.constant('rejoin' as const), actor: fc.nat(USERS - 1), role: ROLE }),
);
type Command = typeof COMMAND extends fc.Arbitrary<infer C> ? C : never;

const rank = (role: Role | undefined) => (role === undefined ? -1 : ['member', 'admin', 'owner'].indexOf(role));

/** The status the rules of docs/organizations.md predict for `command` on the organization as it is (`roles` by user index). */
function expectedStatus(command: Command, roles: (Role | undefined)[]): number {
  const owners = roles.filter((r) => r === 'owner').length;
  const mine = roles[command.actor];
  if (command.op === 'leave' || (command.op === 'remove' && command.target === command.actor)) {
    if (mine === undefined) return 404;
    return mine === 'owner' && owners === 1 ? 400 : 204;
  }
  if (command.op === 'rejoin') throw new Error('not a route');
  if (mine === undefined) return 404;
  if (rank(mine) < rank('admin')) return 403;
  const theirs = roles[command.target];
  if (theirs === undefined) return 404;
  if (command.op === 'remove') return theirs === 'owner' && mine !== 'owner' ? 403 : 204;
  if ((theirs === 'owner' || command.role === 'owner') && mine !== 'owner') return 403;
  return command.role !== 'owner' && theirs === 'owner' && owners === 1 ? 400 : 200;
}

describe('property: whatever the sequence of role changes, removals and departures, an organization keeps an owner', () => {
  let t: OrgTestApp;
  let users: OrgUser[];
  before(async () => {
    t = await buildOrgApp();
    users = [];
    for (let i = 0; i < USERS; i++) users.push(await t.user(`p${i}`));
  });
  after(async () => t.close());

  /** Adds a user straight through the store (the invitation rules have their own tests). */
  const join = async (orgId: number, who: OrgUser, role: Role, invitedBy: OrgUser) => {
    const invitation = await t.store.organizations.createInvitation({
      orgId,
      email: who.email,
      role,
      tokenDigest: randomBytes(32).toString('hex'),
      invitedBy: invitedBy.id,
      expiresAt: new Date(t.clock.now.getTime() + 60_000),
      createdAt: t.clock.now,
    });
    assert.ok(await t.store.organizations.acceptInvitation(invitation.id, who.id, t.clock.now));
  };
  const rolesOf = async (orgId: number): Promise<(Role | undefined)[]> => {
    const members = await t.store.organizations.listMembers(orgId);
    return users.map((u) => members.find((m) => m.userId === u.id)?.role);
  };

  test('the routes answer as the rules predict, and the owner count never reaches zero', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(ROLE, { minLength: USERS - 1, maxLength: USERS - 1 }),
        fc.array(COMMAND, { minLength: 1, maxLength: 25 }),
        async (initial, commands) => {
          runs += 1;
          const slug = `prop-${runs}-${randomBytes(3).toString('hex')}`;
          const created = await t.call(users[0]!.token, 'POST', '/orgs', { name: 'P', slug });
          const orgId: number = created.json().id;
          for (let i = 1; i < USERS; i++) await join(orgId, users[i]!, initial[i - 1]!, users[0]!);
          for (const command of commands) {
            const roles = await rolesOf(orgId);
            const actor = users[command.actor]!;
            let response;
            if (command.op === 'rejoin') {
              const inviter = users[roles.indexOf('owner')]!;
              if (roles[command.actor] === undefined) await join(orgId, actor, command.role, inviter);
              continue;
            }
            if (command.op === 'role') {
              response = await t.call(actor.token, 'PATCH', `/orgs/${orgId}/members/${users[command.target]!.id}`, { role: command.role });
            } else {
              const target = command.op === 'leave' ? actor : users[command.target]!;
              response = await t.call(actor.token, 'DELETE', `/orgs/${orgId}/members/${target.id}`);
            }
            assert.equal(response.statusCode, expectedStatus(command, roles), `${JSON.stringify(command)} on ${JSON.stringify(roles)}: ${response.body}`);
            const owners = (await rolesOf(orgId)).filter((r) => r === 'owner').length;
            assert.ok(owners >= 1, `${JSON.stringify(command)} left no owner`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
