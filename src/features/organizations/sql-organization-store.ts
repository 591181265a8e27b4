import { type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, Dialect, InvitationsTable, MembershipsTable, OrganizationsTable } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import type { Role } from './roles.js';
import type {
  InvitationRecord,
  MemberRecord,
  MembershipChange,
  MembershipRecord,
  NewInvitation,
  OrganizationRecord,
  OrganizationStore,
  SoleOwnership,
} from './store.js';

/** {@link OrganizationStore} on SQLite and PostgreSQL. */
export class SQLOrganizationStore implements OrganizationStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  private bool(value: boolean): number | boolean {
    return this.dialect === 'sqlite' ? (value ? 1 : 0) : value;
  }

  async createOrganization(org: { name: string; slug: string; requireMfa: boolean; ownerId: number }, now: Date): Promise<OrganizationRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('organizations')
        .values({ name: org.name, slug: org.slug, require_mfa: this.bool(org.requireMfa), created_at: toDbTime(this.dialect, now) })
        // The unique index decides between concurrent creations; the loser gets null.
        .onConflict((oc) => oc.column('slug').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      await trx
        .insertInto('memberships')
        .values({ org_id: row.id, user_id: org.ownerId, role: 'owner', joined_at: toDbTime(this.dialect, now) })
        .execute();
      return toOrganization(row);
    });
  }

  async findOrganization(id: number): Promise<OrganizationRecord | null> {
    const row = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  async updateOrganization(id: number, patch: { name?: string; requireMfa?: boolean }): Promise<OrganizationRecord | null> {
    const values: { name?: string; require_mfa?: number | boolean } = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.requireMfa !== undefined) values.require_mfa = this.bool(patch.requireMfa);
    if (Object.keys(values).length === 0) return this.findOrganization(id);
    const row = await this.db.updateTable('organizations').set(values).where('id', '=', id).returningAll().executeTakeFirst();
    return row ? toOrganization(row) : null;
  }

  async deleteOrganization(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listOrganizationsOf(userId: number): Promise<Array<{ organization: OrganizationRecord; membership: MembershipRecord }>> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
      .selectAll('organizations')
      .select(['memberships.user_id', 'memberships.role', 'memberships.joined_at'])
      .where('memberships.user_id', '=', userId)
      .orderBy('memberships.joined_at')
      .orderBy('organizations.id')
      .execute();
    return rows.map((row) => ({
      organization: toOrganization(row),
      membership: toMembership({ org_id: row.id, user_id: row.user_id, role: row.role, joined_at: row.joined_at }),
    }));
  }

  async findMembership(orgId: number, userId: number): Promise<MembershipRecord | null> {
    const row = await this.db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return row ? toMembership(row) : null;
  }

  async listMembers(orgId: number): Promise<MemberRecord[]> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .selectAll('memberships')
      .select('users.email')
      .where('memberships.org_id', '=', orgId)
      .orderBy('memberships.joined_at')
      .orderBy('memberships.user_id')
      .execute();
    return rows.map((row) => ({ ...toMembership(row), email: row.email }));
  }

  async changeRole(orgId: number, userId: number, role: Role): Promise<MembershipChange> {
    return this.withOrganizationLocked(orgId, async (trx) => {
      let update = trx.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId);
      // Making someone an owner never loses one; any other role must leave another owner behind.
      if (role !== 'owner') update = update.where((eb) => eb.or([eb('role', '!=', 'owner'), eb(ownerCount(trx, orgId), '>', 1)]));
      const result = await update.executeTakeFirst();
      return result.numUpdatedRows > 0n ? 'changed' : this.whyUnchanged(trx, orgId, userId);
    });
  }

  async removeMembership(orgId: number, userId: number): Promise<MembershipChange> {
    return this.withOrganizationLocked(orgId, async (trx) => {
      const result = await trx
        .deleteFrom('memberships')
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('role', '!=', 'owner'), eb(ownerCount(trx, orgId), '>', 1)]))
        .executeTakeFirst();
      return result.numDeletedRows > 0n ? 'changed' : this.whyUnchanged(trx, orgId, userId);
    });
  }

  async listSoleOwnerships(userId: number): Promise<SoleOwnership[]> {
    const owned = this.db.selectFrom('memberships').select('org_id').where('user_id', '=', userId).where('role', '=', 'owner');
    const rows = await this.db.selectFrom('memberships').select(['org_id', 'user_id', 'role']).where('org_id', 'in', owned).execute();
    const byOrg = new Map<number, { owners: number; others: number }>();
    for (const row of rows) {
      const entry = byOrg.get(Number(row.org_id)) ?? { owners: 0, others: 0 };
      if (row.role === 'owner') entry.owners++;
      if (Number(row.user_id) !== userId) entry.others++;
      byOrg.set(Number(row.org_id), entry);
    }
    return [...byOrg]
      .filter(([, entry]) => entry.owners === 1)
      .map(([orgId, entry]) => ({ orgId, otherMembers: entry.others }))
      .sort((a, b) => a.orgId - b.orgId);
  }

  async createInvitation(invitation: NewInvitation): Promise<InvitationRecord> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('invitations')
        .where('org_id', '=', invitation.orgId)
        .where('email', '=', invitation.email)
        .where('accepted_at', 'is', null)
        .execute();
      const row = await trx
        .insertInto('invitations')
        .values({
          org_id: invitation.orgId,
          email: invitation.email,
          role: invitation.role,
          token_digest: invitation.tokenDigest,
          invited_by: invitation.invitedBy,
          expires_at: toDbTime(this.dialect, invitation.expiresAt),
          accepted_at: null,
          created_at: toDbTime(this.dialect, invitation.createdAt),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toInvitation(row);
    });
  }

  async listInvitations(orgId: number, now: Date): Promise<InvitationRecord[]> {
    const rows = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', toDbTime(this.dialect, now))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toInvitation);
  }

  async deleteInvitation(orgId: number, id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('invitations').where('org_id', '=', orgId).where('id', '=', id).where('accepted_at', 'is', null).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async findInvitation(tokenDigest: string, now: Date): Promise<InvitationRecord | null> {
    const row = await this.db
      .selectFrom('invitations')
      .selectAll()
      .where('token_digest', '=', tokenDigest)
      .where('accepted_at', 'is', null)
      .where('expires_at', '>', toDbTime(this.dialect, now))
      .executeTakeFirst();
    return row ? toInvitation(row) : null;
  }

  async acceptInvitation(id: number, userId: number, now: Date): Promise<MembershipRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      // The compare-and-set on accepted_at: of two concurrent acceptances one updates the row.
      const spent = await trx
        .updateTable('invitations')
        .set({ accepted_at: toDbTime(this.dialect, now) })
        .where('id', '=', id)
        .where('accepted_at', 'is', null)
        .where('expires_at', '>', toDbTime(this.dialect, now))
        .returning(['org_id', 'role'])
        .executeTakeFirst();
      if (!spent) return null;
      await trx
        .insertInto('memberships')
        .values({ org_id: spent.org_id, user_id: userId, role: spent.role, joined_at: toDbTime(this.dialect, now) })
        .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
        .execute();
      const row = await trx.selectFrom('memberships').selectAll().where('org_id', '=', spent.org_id).where('user_id', '=', userId).executeTakeFirstOrThrow();
      return toMembership(row);
    });
  }

  async deleteStaleInvitations(before: Date): Promise<number> {
    const at = toDbTime(this.dialect, before);
    const result = await this.db
      .deleteFrom('invitations')
      .where((eb) => eb.or([eb('expires_at', '<=', at), eb('accepted_at', '<=', at)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Runs a membership change with the organization's row locked on PostgreSQL (SELECT … FOR
   * UPDATE), so that changes to one organization's owners happen one after the other: under READ
   * COMMITTED two owners demoting each other would otherwise both count two owners. SQLite runs
   * one write transaction at a time.
   */
  private async withOrganizationLocked(orgId: number, change: (trx: Transaction<Database>) => Promise<MembershipChange>): Promise<MembershipChange> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') {
        const locked = await trx.selectFrom('organizations').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
        if (!locked) return 'not-found';
      }
      return change(trx);
    });
  }

  private async whyUnchanged(trx: Transaction<Database>, orgId: number, userId: number): Promise<MembershipChange> {
    const row = await trx.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return row ? 'last-owner' : 'not-found';
  }
}

/** The number of owners of an organization, as a scalar subquery. */
function ownerCount(db: Transaction<Database>, orgId: number) {
  return db
    .selectFrom('memberships as owners')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owners.role', '=', 'owner')
    .where('owners.org_id', '=', orgId);
}

function toOrganization(row: Selectable<OrganizationsTable>): OrganizationRecord {
  return { id: Number(row.id), name: row.name, slug: row.slug, requireMfa: Boolean(row.require_mfa), createdAt: fromDbTime(row.created_at) };
}

function toMembership(row: Selectable<MembershipsTable>): MembershipRecord {
  return { orgId: Number(row.org_id), userId: Number(row.user_id), role: row.role as Role, joinedAt: fromDbTime(row.joined_at) };
}

function toInvitation(row: Selectable<InvitationsTable>): InvitationRecord {
  return {
    id: Number(row.id),
    orgId: Number(row.org_id),
    email: row.email,
    role: row.role as Role,
    tokenDigest: row.token_digest,
    invitedBy: Number(row.invited_by),
    expiresAt: fromDbTime(row.expires_at),
    acceptedAt: row.accepted_at === null ? null : fromDbTime(row.accepted_at),
    createdAt: fromDbTime(row.created_at),
  };
}
