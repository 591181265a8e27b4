import { Type, type Static } from 'typebox';
import { Email, MAX_URL_INTEGER, NO_CONTROL_CHARACTERS } from '../../http/schemas.js';

// Organizations (docs/organizations.md).

export const RoleSchema = Type.Union([Type.Literal('member'), Type.Literal('admin'), Type.Literal('owner')], { description: 'member < admin < owner' });
const Id = Type.Integer({ minimum: 1, maximum: MAX_URL_INTEGER });
const Time = Type.String({ format: 'date-time' });

export const OrgName = Type.String({ minLength: 1, maxLength: 100, pattern: NO_CONTROL_CHARACTERS });
export const Slug = Type.String({ minLength: 2, maxLength: 48, pattern: '^[a-z0-9-]{2,48}$', description: 'Lower-case letters, digits and "-"; unique' });

export const CreateOrgBody = Type.Object({ name: OrgName, slug: Slug });
export type CreateOrgBody = Static<typeof CreateOrgBody>;

export const UpdateOrgBody = Type.Object({ name: Type.Optional(OrgName), require_mfa: Type.Optional(Type.Boolean()) });
export type UpdateOrgBody = Static<typeof UpdateOrgBody>;

/** An organization as its member sees it, with their own role. */
export const Organization = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  slug: Type.String(),
  require_mfa: Type.Boolean(),
  created_at: Time,
  role: RoleSchema,
  joined_at: Time,
});
export const OrganizationList = Type.Array(Organization);

export const OrgParams = Type.Object({ id: Id });
export type OrgParams = Static<typeof OrgParams>;
export const MemberParams = Type.Object({ id: Id, user_id: Id });
export type MemberParams = Static<typeof MemberParams>;
export const InvitationParams = Type.Object({ id: Id, invitation_id: Id });
export type InvitationParams = Static<typeof InvitationParams>;

export const Member = Type.Object({ user_id: Type.Integer(), email: Type.String(), role: RoleSchema, joined_at: Time });
export const MemberList = Type.Array(Member);
export const ChangeRoleBody = Type.Object({ role: RoleSchema });
export type ChangeRoleBody = Static<typeof ChangeRoleBody>;

export const InviteBody = Type.Object({ email: Email, role: RoleSchema });
export type InviteBody = Static<typeof InviteBody>;
/** An invitation, never its token. */
export const Invitation = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  role: RoleSchema,
  invited_by: Type.Integer(),
  expires_at: Time,
  created_at: Time,
});
export const InvitationList = Type.Array(Invitation);

/** Invitation tokens are 43 characters; anything up to this length is "invalid", not 422. */
export const AcceptInvitationBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 256, description: 'The token from the link in the mail' }) });
export type AcceptInvitationBody = Static<typeof AcceptInvitationBody>;
