import { normalizeEmail } from '../../core/email.js';
import { AuthError } from '../../core/errors.js';
import type { Store } from '../../core/store.js';
import type { Throttle } from '../../core/throttle.js';
import { digestToken, generateToken } from '../../core/token.js';
import type { User } from '../../core/user.js';
import type { MailOutbox } from '../../mail/outbox.js';
import { invitationMail } from './invitation-mail.js';
import { type Role, type RolePermissions, roleAtLeast, roleHasPermission } from './roles.js';
import type { InvitationRecord, MemberRecord, MembershipRecord, OrganizationRecord, OrganizationStore } from './store.js';

/** An invitation link lives 7 days (docs/organizations.md). */
export const INVITATION_LIFETIME_SECONDS = 7 * 86_400;
/** Where the web page takes an invitation; the token is in the fragment, which browsers never send. */
export const INVITATION_LINK_PATH = '/#/invitations/accept?token=';
/** Invitations one organization may send per hour, and one member may send per hour: each is a mail to an address of their choice. */
export const INVITATIONS_PER_HOUR = 50;

/** A member's standing in one organization, as `request.membership` carries it. */
export interface Membership {
  organization: OrganizationRecord;
  orgId: number;
  userId: number;
  role: Role;
  joinedAt: Date;
  /** What the role grants under the configured mapping (`roles`). */
  permissions: readonly string[];
}

/** Called after a membership ended (removed, left, or with its organization or user). */
export type MembershipRemovedListener = (change: { orgId: number; userId: number }) => void | Promise<void>;
/** Called after an organization was deleted. */
export type OrganizationDeletedListener = (orgId: number) => void | Promise<void>;

export interface OrganizationServiceOptions {
  store: Store;
  organizations: OrganizationStore;
  roles: RolePermissions;
  throttle: Throttle;
  outbox: MailOutbox;
  /** Base of the invitation links: the public URL and route prefix, never the request's Host. */
  linkBase: string;
  now: () => Date;
}

/**
 * The rules of organizations (docs/organizations.md): who sees an organization (members only:
 * anyone else is told it does not exist, so ids and slugs are no oracle), who may change what
 * (roles ordered member < admin < owner; only an owner makes or unmakes an owner), that an
 * organization always keeps an owner, and invitations that only the invited, verified address
 * can accept.
 */
export class OrganizationService {
  readonly roles: RolePermissions;
  private readonly options: OrganizationServiceOptions;
  private readonly orgs: OrganizationStore;
  private readonly removedListeners: MembershipRemovedListener[] = [];
  private readonly deletedListeners: OrganizationDeletedListener[] = [];

  constructor(options: OrganizationServiceOptions) {
    this.options = options;
    this.orgs = options.organizations;
    this.roles = options.roles;
  }

  /** Runs `listener` after every membership that ends; rows that reference a membership also go by ON DELETE CASCADE. */
  onMembershipRemoved(listener: MembershipRemovedListener): void {
    this.removedListeners.push(listener);
  }

  /** Runs `listener` after every organization deleted. */
  onOrganizationDeleted(listener: OrganizationDeletedListener): void {
    this.deletedListeners.push(listener);
  }

  async create(actor: User, input: { name: string; slug: string }): Promise<Membership> {
    const org = await this.orgs.createOrganization({ name: input.name, slug: input.slug, requireMfa: false, ownerId: actor.id }, this.options.now());
    if (!org) throw new AuthError('ORG_SLUG_TAKEN');
    return this.toMembership(org, { orgId: org.id, userId: actor.id, role: 'owner', joinedAt: org.createdAt });
  }

  async listMine(actor: User): Promise<Membership[]> {
    const rows = await this.orgs.listOrganizationsOf(actor.id);
    return rows.map(({ organization, membership }) => this.toMembership(organization, membership));
  }

  /**
   * The actor's membership of `orgId`, checked: 404 `ORG_NOT_FOUND` for a non-member (whether or
   * not the organization exists), 403 `ORG_MFA_REQUIRED` when the organization asks for a second
   * factor the actor has not set up, 403 `ORG_FORBIDDEN` below `least`.
   */
  async access(actor: User, orgId: number, least: Role = 'member'): Promise<Membership> {
    const membership = await this.orgs.findMembership(orgId, actor.id);
    const org = membership ? await this.orgs.findOrganization(orgId) : null;
    if (!membership || !org) throw new AuthError('ORG_NOT_FOUND');
    if (org.requireMfa && !(await this.hasSecondFactor(actor.id))) throw new AuthError('ORG_MFA_REQUIRED');
    if (!roleAtLeast(membership.role, least)) throw new AuthError('ORG_FORBIDDEN');
    return this.toMembership(org, membership);
  }

  /** Whether `role` holds `permission` under the configured mapping. */
  permits(membership: Membership, permission: string): boolean {
    return roleHasPermission(this.roles, membership.role, permission);
  }

  async update(actor: User, orgId: number, patch: { name?: string; requireMfa?: boolean }): Promise<Membership> {
    const membership = await this.access(actor, orgId, 'admin');
    // Turning the rule on while lacking a second factor would lock the actor out at once.
    if (patch.requireMfa === true && !membership.organization.requireMfa && !(await this.hasSecondFactor(actor.id))) {
      throw new AuthError('ORG_MFA_REQUIRED', 'Set up TOTP or a passkey before requiring a second factor of every member');
    }
    const org = await this.orgs.updateOrganization(orgId, patch);
    if (!org) throw new AuthError('ORG_NOT_FOUND');
    return this.toMembership(org, membership);
  }

  async delete(actor: User, orgId: number): Promise<OrganizationRecord> {
    const mine = await this.access(actor, orgId, 'owner');
    await this.deleteOrganization(orgId);
    return mine.organization;
  }

  async listMembers(actor: User, orgId: number): Promise<MemberRecord[]> {
    await this.access(actor, orgId);
    return this.orgs.listMembers(orgId);
  }

  /** Sets a member's role (admin+); only an owner grants or takes `owner`; the last owner stays one. */
  async changeRole(actor: User, orgId: number, userId: number, role: Role): Promise<{ member: MemberRecord; previousRole: Role }> {
    const mine = await this.access(actor, orgId, 'admin');
    const target = await this.orgs.findMembership(orgId, userId);
    if (!target) throw new AuthError('ORG_MEMBER_NOT_FOUND');
    if ((target.role === 'owner' || role === 'owner') && mine.role !== 'owner')
      throw new AuthError('ORG_FORBIDDEN', 'Only an owner grants or removes the owner role');
    this.check(await this.orgs.changeRole(orgId, userId, role));
    const member = (await this.orgs.listMembers(orgId)).find((m) => m.userId === userId);
    if (!member) throw new AuthError('ORG_MEMBER_NOT_FOUND');
    return { member, previousRole: target.role };
  }

  /**
   * Removes a member (admin+; an owner only by an owner), or lets the actor leave. Leaving needs no
   * role and no second factor: it grants nothing. The last owner can do neither.
   */
  async removeMember(actor: User, orgId: number, userId: number): Promise<{ role: Role }> {
    let target: MembershipRecord | null;
    if (userId === actor.id) {
      target = await this.orgs.findMembership(orgId, actor.id);
      if (!target) throw new AuthError('ORG_NOT_FOUND');
    } else {
      const mine = await this.access(actor, orgId, 'admin');
      target = await this.orgs.findMembership(orgId, userId);
      if (!target) throw new AuthError('ORG_MEMBER_NOT_FOUND');
      if (target.role === 'owner' && mine.role !== 'owner') throw new AuthError('ORG_FORBIDDEN', 'Only an owner removes an owner');
    }
    this.check(await this.orgs.removeMembership(orgId, userId));
    await this.membershipRemoved(orgId, userId);
    return { role: target.role };
  }

  /** Invites `email` with `role` (admin+; `owner` only by an owner) and mails the link. */
  async invite(actor: User, orgId: number, input: { email: string; role: Role }): Promise<InvitationRecord> {
    const mine = await this.access(actor, orgId, 'admin');
    if (input.role === 'owner' && mine.role !== 'owner') throw new AuthError('ORG_FORBIDDEN', 'Only an owner invites an owner');
    const { throttle } = this.options;
    // Each invitation mails an address the inviter chose: bounded per organization and per inviter.
    await throttle.consume([
      throttle.customKey('invite:org', String(orgId), INVITATIONS_PER_HOUR, 3600),
      throttle.customKey('invite:user', String(actor.id), INVITATIONS_PER_HOUR, 3600),
    ]);
    const token = generateToken();
    const now = this.options.now();
    const email = normalizeEmail(input.email);
    const invitation = await this.orgs.createInvitation({
      orgId,
      email,
      role: input.role,
      tokenDigest: digestToken(token),
      invitedBy: actor.id,
      expiresAt: new Date(now.getTime() + INVITATION_LIFETIME_SECONDS * 1000),
      createdAt: now,
    });
    const link = `${this.options.linkBase}${INVITATION_LINK_PATH}${token}`;
    const orgName = mine.organization.name;
    this.options.outbox.enqueue(async () => invitationMail(email, { orgName, inviter: actor.email, role: input.role, link }, INVITATION_LIFETIME_SECONDS), {
      to: email,
    });
    return invitation;
  }

  async listInvitations(actor: User, orgId: number): Promise<InvitationRecord[]> {
    await this.access(actor, orgId, 'admin');
    return this.orgs.listInvitations(orgId, this.options.now());
  }

  async cancelInvitation(actor: User, orgId: number, id: number): Promise<void> {
    await this.access(actor, orgId, 'admin');
    if (!(await this.orgs.deleteInvitation(orgId, id))) throw new AuthError('INVITATION_NOT_FOUND');
  }

  /**
   * Accepts an invitation for the signed-in `actor`: only when their email is verified and is the
   * invited one (else 403 `INVITATION_EMAIL_MISMATCH`, and the invitation stays usable by its
   * addressee). A link forwarded or intercepted cannot make its holder a member.
   */
  async accept(actor: User, token: string): Promise<Membership> {
    const now = this.options.now();
    const invitation = await this.orgs.findInvitation(digestToken(token), now);
    if (!invitation) throw new AuthError('INVITATION_INVALID');
    if (!actor.isVerified || normalizeEmail(actor.email) !== invitation.email) throw new AuthError('INVITATION_EMAIL_MISMATCH');
    const org = await this.orgs.findOrganization(invitation.orgId);
    if (!org) throw new AuthError('INVITATION_INVALID');
    // Refused before the invitation is spent, so the addressee can set up a factor and come back.
    if (org.requireMfa && !(await this.hasSecondFactor(actor.id))) throw new AuthError('ORG_MFA_REQUIRED');
    const membership = await this.orgs.acceptInvitation(invitation.id, actor.id, now);
    if (!membership) throw new AuthError('INVITATION_INVALID');
    return this.toMembership(org, membership);
  }

  /**
   * Before a user is deleted (docs/organizations.md, "Deleting a user"): refused with 400
   * `ORG_LAST_OWNER` while they alone own an organization that has other members (its members
   * would be left with nobody able to manage it); organizations they are the only member of are
   * deleted with them.
   */
  async beforeUserDeletion(userId: number): Promise<void> {
    const sole = await this.orgs.listSoleOwnerships(userId);
    const shared = sole.filter((s) => s.otherMembers > 0);
    if (shared.length > 0) {
      throw new AuthError(
        'ORG_LAST_OWNER',
        'This account is the only owner of an organization with other members: make another member owner, or delete it, first',
      );
    }
    for (const { orgId } of sole) await this.deleteOrganization(orgId);
  }

  private async deleteOrganization(orgId: number): Promise<void> {
    if (await this.orgs.deleteOrganization(orgId)) {
      for (const listener of this.deletedListeners) await listener(orgId);
    }
  }

  private async membershipRemoved(orgId: number, userId: number): Promise<void> {
    for (const listener of this.removedListeners) await listener({ orgId, userId });
  }

  private check(outcome: 'changed' | 'not-found' | 'last-owner'): void {
    if (outcome === 'last-owner') throw new AuthError('ORG_LAST_OWNER');
    if (outcome === 'not-found') throw new AuthError('ORG_MEMBER_NOT_FOUND');
  }

  /** TOTP confirmed, or at least one passkey: the factors docs/two-factor.md offers. */
  private async hasSecondFactor(userId: number): Promise<boolean> {
    const totp = await this.options.store.secondFactor.findTOTP(userId);
    if (totp?.confirmed) return true;
    return (await this.options.store.passkeys.listPasskeys(userId)).length > 0;
  }

  private toMembership(organization: OrganizationRecord, membership: MembershipRecord): Membership {
    const granted = this.roles[membership.role];
    return { organization, orgId: organization.id, userId: membership.userId, role: membership.role, joinedAt: membership.joinedAt, permissions: granted };
  }
}
