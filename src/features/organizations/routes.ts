import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuditLog } from '../../core/audit.js';
import type { User } from '../../core/user.js';
import { auditEvent } from '../../http/audit.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import type { Membership, OrganizationService } from './organizations.js';
import {
  AcceptInvitationBody,
  ChangeRoleBody,
  CreateOrgBody,
  Invitation,
  InvitationList,
  InvitationParams,
  InviteBody,
  Member,
  MemberList,
  MemberParams,
  Organization,
  OrganizationList,
  OrgParams,
  UpdateOrgBody,
} from './schemas.js';
import type { InvitationRecord, MemberRecord } from './store.js';

export interface OrganizationRoutesOptions {
  organizations: OrganizationService;
  authenticate: preHandlerAsyncHookHandler;
  /** Organization and membership changes are security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['organizations'];
const FAILURES = { 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody } as const;

/** The public JSON of an organization, with the caller's role. */
function toOrganization(m: Membership) {
  const org = m.organization;
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    require_mfa: org.requireMfa,
    created_at: org.createdAt.toISOString(),
    role: m.role,
    joined_at: m.joinedAt.toISOString(),
  };
}

function toMember(m: MemberRecord) {
  return { user_id: m.userId, email: m.email, role: m.role, joined_at: m.joinedAt.toISOString() };
}

/** The public JSON of an invitation: never its token or digest. */
function toInvitation(i: InvitationRecord) {
  return { id: i.id, email: i.email, role: i.role, invited_by: i.invitedBy, expires_at: i.expiresAt.toISOString(), created_at: i.createdAt.toISOString() };
}

/** The acting user: the session's. The organization is never taken from the body, only from the path. */
function actorOf(request: FastifyRequest): User {
  return request.authSession.user;
}

/**
 * Organizations, members and invitations (docs/organizations.md). Every route is authenticated
 * (bearer or cookie; the cookie with its CSRF header, like every unsafe route). The guard runs at
 * `preValidation` so an anonymous caller gets 401 before any 422.
 */
export const organizationRoutes: FastifyPluginAsyncTypebox<OrganizationRoutesOptions> = async (app, { organizations, authenticate, audit }) => {
  const guarded = { preValidation: authenticate };

  app.post(
    '/orgs',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'createOrganization',
        summary: 'Create an organization; the caller becomes its owner',
        security: SECURITY,
        body: CreateOrgBody,
        response: { 201: Organization, 400: ErrorBody, ...FAILURES, 415: ErrorBody },
      },
    },
    async (request, reply) => {
      const created = await organizations.create(actorOf(request), request.body);
      await auditEvent(audit, request, 'organization.created', { name: created.organization.name }, { orgId: created.orgId });
      return reply.code(201).send(toOrganization(created));
    },
  );

  app.get(
    '/orgs',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'listOrganizations',
        summary: 'My organizations, with my role in each',
        security: SECURITY,
        response: { 200: OrganizationList, 401: ErrorBody },
      },
    },
    async (request) => (await organizations.listMine(actorOf(request))).map(toOrganization),
  );

  app.get(
    '/orgs/:id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'getOrganization',
        summary: 'One of my organizations (404 for any organization I am not a member of)',
        security: SECURITY,
        params: OrgParams,
        response: { 200: Organization, ...FAILURES },
      },
    },
    async (request) => toOrganization(await organizations.access(actorOf(request), request.params.id)),
  );

  app.patch(
    '/orgs/:id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'updateOrganization',
        summary: 'Rename an organization or require a second factor of its members (admin+)',
        security: SECURITY,
        params: OrgParams,
        body: UpdateOrgBody,
        response: { 200: Organization, ...FAILURES, 415: ErrorBody },
      },
    },
    async (request) => {
      const { name, require_mfa } = request.body;
      const updated = await organizations.update(actorOf(request), request.params.id, { name, requireMfa: require_mfa });
      const fields = Object.keys(request.body).filter((key) => key === 'name' || key === 'require_mfa');
      await auditEvent(audit, request, 'organization.updated', { fields }, { orgId: updated.orgId });
      return toOrganization(updated);
    },
  );

  app.delete(
    '/orgs/:id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'deleteOrganization',
        summary: 'Delete an organization with its memberships and invitations (owner)',
        security: SECURITY,
        params: OrgParams,
        response: { 204: NoContent, ...FAILURES },
      },
    },
    async (request, reply) => {
      const deleted = await organizations.delete(actorOf(request), request.params.id);
      await auditEvent(audit, request, 'organization.deleted', { name: deleted.name }, { orgId: deleted.id });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/orgs/:id/members',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'listMembers',
        summary: 'The members of an organization',
        security: SECURITY,
        params: OrgParams,
        response: { 200: MemberList, ...FAILURES },
      },
    },
    async (request) => (await organizations.listMembers(actorOf(request), request.params.id)).map(toMember),
  );

  app.patch(
    '/orgs/:id/members/:user_id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'changeMemberRole',
        summary: "Change a member's role (admin+; only an owner grants or removes owner)",
        description: 'The last owner cannot be demoted: 400 `ORG_LAST_OWNER`.',
        security: SECURITY,
        params: MemberParams,
        body: ChangeRoleBody,
        response: { 200: Member, 400: ErrorBody, ...FAILURES, 415: ErrorBody },
      },
    },
    async (request) => {
      const { id, user_id: userId } = request.params;
      const { member, previousRole } = await organizations.changeRole(actorOf(request), id, userId, request.body.role);
      await auditEvent(audit, request, 'membership.changed', { role: member.role, previous_role: previousRole }, { subjectUserId: userId, orgId: id });
      return toMember(member);
    },
  );

  app.delete(
    '/orgs/:id/members/:user_id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'removeMember',
        summary: 'Remove a member (admin+; an owner only by an owner), or leave with my own user id',
        description: 'The last owner cannot leave: 400 `ORG_LAST_OWNER`.',
        security: SECURITY,
        params: MemberParams,
        response: { 204: NoContent, 400: ErrorBody, ...FAILURES },
      },
    },
    async (request, reply) => {
      const { id, user_id: userId } = request.params;
      const removed = await organizations.removeMember(actorOf(request), id, userId);
      await auditEvent(audit, request, 'membership.removed', { role: removed.role }, { subjectUserId: userId, orgId: id });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/orgs/:id/invitations',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'inviteMember',
        summary: 'Invite an email address with a role (admin+; owner only by an owner); the link is mailed, valid 7 days, single use',
        security: SECURITY,
        params: OrgParams,
        body: InviteBody,
        response: { 201: Invitation, ...FAILURES, 415: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => reply.code(201).send(toInvitation(await organizations.invite(actorOf(request), request.params.id, request.body))),
  );

  app.get(
    '/orgs/:id/invitations',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'listInvitations',
        summary: 'Pending invitations of an organization (admin+)',
        security: SECURITY,
        params: OrgParams,
        response: { 200: InvitationList, ...FAILURES },
      },
    },
    async (request) => (await organizations.listInvitations(actorOf(request), request.params.id)).map(toInvitation),
  );

  app.delete(
    '/orgs/:id/invitations/:invitation_id',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'cancelInvitation',
        summary: 'Cancel a pending invitation (admin+)',
        security: SECURITY,
        params: InvitationParams,
        response: { 204: NoContent, ...FAILURES },
      },
    },
    async (request, reply) => {
      await organizations.cancelInvitation(actorOf(request), request.params.id, request.params.invitation_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/invitations/accept',
    {
      ...guarded,
      schema: {
        tags: TAG,
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation as the signed-in user whose verified email is the invited one',
        security: SECURITY,
        body: AcceptInvitationBody,
        response: { 200: Organization, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 415: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const joined = await organizations.accept(actorOf(request), request.body.token);
      await auditEvent(audit, request, 'membership.added', { role: joined.role }, { orgId: joined.orgId });
      return toOrganization(joined);
    },
  );
};
