import type { Role } from './roles.js';

/** An organization as stored. */
export interface OrganizationRecord {
  id: number;
  name: string;
  slug: string;
  /** Members need TOTP or a passkey to use the organization (docs/organizations.md). */
  requireMfa: boolean;
  createdAt: Date;
}

/** One user's place in one organization. */
export interface MembershipRecord {
  orgId: number;
  userId: number;
  role: Role;
  joinedAt: Date;
}

/** A member as the members list shows them: the membership and the user's email. */
export interface MemberRecord extends MembershipRecord {
  email: string;
}

/** An invitation as stored: the token only as its digest. */
export interface InvitationRecord {
  id: number;
  orgId: number;
  email: string;
  role: Role;
  tokenDigest: string;
  invitedBy: number;
  expiresAt: Date;
  acceptedAt: Date | null;
  createdAt: Date;
}

export type NewInvitation = Omit<InvitationRecord, 'id' | 'acceptedAt'>;

/** What a change of one membership did; `last-owner` when it would leave the organization without an owner. */
export type MembershipChange = 'changed' | 'not-found' | 'last-owner';

/** An organization the user alone owns, and how many members it has besides them. */
export interface SoleOwnership {
  orgId: number;
  otherMembers: number;
}

/**
 * Organizations, memberships and invitations (docs/organizations.md). The rule that an
 * organization always keeps an owner is enforced here, atomically, so that two concurrent
 * demotions cannot both pass a check made before either wrote.
 */
export interface OrganizationStore {
  /** Creates the organization with `ownerId` as its owner; `null` when the slug is taken. */
  createOrganization(org: { name: string; slug: string; requireMfa: boolean; ownerId: number }, now: Date): Promise<OrganizationRecord | null>;
  findOrganization(id: number): Promise<OrganizationRecord | null>;
  /** `null` when there is no such organization. */
  updateOrganization(id: number, patch: { name?: string; requireMfa?: boolean }): Promise<OrganizationRecord | null>;
  /** Deletes it with its memberships and invitations (and whatever references them by cascade). */
  deleteOrganization(id: number): Promise<boolean>;
  /** The user's organizations with their role, oldest membership first. */
  listOrganizationsOf(userId: number): Promise<Array<{ organization: OrganizationRecord; membership: MembershipRecord }>>;

  findMembership(orgId: number, userId: number): Promise<MembershipRecord | null>;
  listMembers(orgId: number): Promise<MemberRecord[]>;
  /** Sets the role; refuses (`last-owner`) to demote the only owner. */
  changeRole(orgId: number, userId: number, role: Role): Promise<MembershipChange>;
  /** Removes the membership; refuses (`last-owner`) to remove the only owner. */
  removeMembership(orgId: number, userId: number): Promise<MembershipChange>;
  /** Organizations in which `userId` is the only owner. */
  listSoleOwnerships(userId: number): Promise<SoleOwnership[]>;

  /** Stores an invitation; a pending one for the same organization and email is replaced (one live link each). */
  createInvitation(invitation: NewInvitation): Promise<InvitationRecord>;
  /** Pending invitations (not accepted, not expired), newest first. */
  listInvitations(orgId: number, now: Date): Promise<InvitationRecord[]>;
  deleteInvitation(orgId: number, id: number): Promise<boolean>;
  /** A pending invitation by its token's digest (not accepted, not expired), or `null`. */
  findInvitation(tokenDigest: string, now: Date): Promise<InvitationRecord | null>;
  /**
   * Spends the invitation and makes `userId` a member with its role, in one transaction: of two
   * concurrent uses exactly one succeeds. A user who is already a member keeps their role.
   * `null` when the invitation is no longer pending.
   */
  acceptInvitation(id: number, userId: number, now: Date): Promise<MembershipRecord | null>;
  /** Removes invitations expired or accepted before `before`; returns how many went. */
  deleteStaleInvitations(before: Date): Promise<number>;
}
