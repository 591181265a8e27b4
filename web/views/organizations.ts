/**
 * Organizations (docs/organizations.md), at `#/organizations`: my organizations with my role,
 * "Create organization", and the one opened — its members with their roles (a role picker and
 * "Remove" for admins and owners), "Invite" by email with a role, the pending invitations with
 * "Cancel", and "Leave". The mailed invitation opens the page at `#/invitations/accept?token=…`:
 * the token is accepted at once when signed in, or kept in memory (never stored) until the
 * sign-in that follows. What the server refuses is shown with its own sentence; the page hides
 * controls the role cannot use, and the server decides.
 */
import { APIError, type PublicUser, request } from '../api.js';
import { byId, clearMessages, listEntry, onSubmit, runBusy, showError, showNotice } from '../ui.js';

type Role = 'member' | 'admin' | 'owner';

interface OrganizationInfo {
  id: number;
  name: string;
  slug: string;
  require_mfa: boolean;
  created_at: string;
  role: Role;
  joined_at: string;
}

interface MemberInfo {
  user_id: number;
  email: string;
  role: Role;
  joined_at: string;
}

interface InvitationInfo {
  id: number;
  email: string;
  role: Role;
  expires_at: string;
}

/** The order of the roles: an admin manages members and admins, only an owner manages owners. */
const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };
const ROLES: Role[] = ['member', 'admin', 'owner'];

/** The organization open in the view, and the signed-in user (for "you" and "Leave"). */
let opened: OrganizationInfo | null = null;
let me: PublicUser | null = null;
/** An invitation link opened while signed out: accepted after the sign-in, in this page only. */
let pendingInvitation: string | null = null;

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** The roles `actor` may hand out: up to their own (owner grants owner; admin grants admin and member). */
function grantable(actor: Role): Role[] {
  return ROLES.filter((role) => RANK[role] <= RANK[actor]);
}

function roleOptions(select: HTMLSelectElement, roles: Role[], selected: Role): void {
  select.replaceChildren(
    ...roles.map((role) => {
      const option = document.createElement('option');
      option.value = role;
      option.textContent = role;
      option.selected = role === selected;
      return option;
    }),
  );
}

/** Fills the list of my organizations; forgets an opened one I no longer belong to. */
export async function loadOrganizations(): Promise<void> {
  const [orgs, user] = await Promise.all([request<OrganizationInfo[]>('/orgs'), request<PublicUser>('/users/me')]);
  me = user;
  byId('orgs-list').replaceChildren(
    ...orgs.map((org) =>
      listEntry({
        id: `org-${org.id}`,
        name: `${org.name} (${org.slug})`,
        badge: org.role,
        details: `Your role: ${org.role}; joined ${when(org.joined_at)}${org.require_mfa ? '; two-factor sign-in required' : ''}`,
        action: 'Open',
        onAction: () => openOrganization(org),
      }),
    ),
  );
  byId('orgs-empty').hidden = orgs.length > 0;
  const still = opened && orgs.find((org) => org.id === opened?.id);
  if (still) await showOrganization(still);
  else closeOrganization();
}

function closeOrganization(): void {
  opened = null;
  byId('org-detail').hidden = true;
}

async function openOrganization(org: OrganizationInfo): Promise<void> {
  await showOrganization(org);
  byId('org-title').focus();
}

/** Shows one organization: members for everyone, invitations and the invite form for admins and owners. */
async function showOrganization(org: OrganizationInfo): Promise<void> {
  const manages = RANK[org.role] >= RANK.admin;
  const [members, invitations] = await Promise.all([
    request<MemberInfo[]>(`/orgs/${org.id}/members`),
    manages ? request<InvitationInfo[]>(`/orgs/${org.id}/invitations`) : Promise.resolve([]),
  ]);
  opened = org;
  byId('org-title').textContent = org.name;
  byId('org-role').textContent = `Your role: ${org.role}. Slug: ${org.slug}.`;
  byId('org-members-list').replaceChildren(...members.map((member) => memberEntry(org, member)));
  byId('org-manage').hidden = !manages;
  if (manages) {
    roleOptions(byId<HTMLSelectElement>('org-invite-role'), grantable(org.role), 'member');
    byId('org-invitations-list').replaceChildren(...invitations.map((invitation) => invitationEntry(org, invitation)));
    byId('org-invitations-empty').hidden = invitations.length > 0;
  }
  byId('org-detail').hidden = false;
}

/** A member: email, role, joined; for a manager who outranks or equals them, a role picker and "Remove". */
function memberEntry(org: OrganizationInfo, member: MemberInfo): HTMLLIElement {
  const mine = member.user_id === me?.id;
  const item = document.createElement('li');
  const text = document.createElement('div');
  const name = document.createElement('div');
  name.className = 'device';
  name.id = `org-member-${member.user_id}`;
  name.textContent = member.email;
  if (mine) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'you';
    name.append(badge);
  }
  const details = document.createElement('div');
  details.className = 'details';
  details.textContent = `Role: ${member.role}; joined ${when(member.joined_at)}`;
  text.append(name, details);
  item.append(text);
  const manages = RANK[org.role] >= RANK.admin && RANK[member.role] <= RANK[org.role];
  if (manages && !mine) {
    const controls = document.createElement('div');
    controls.className = 'actions';
    const select = document.createElement('select');
    select.id = `org-member-role-${member.user_id}`;
    select.setAttribute('aria-label', `Role of ${member.email}`);
    roleOptions(select, grantable(org.role), member.role);
    const change = document.createElement('button');
    change.type = 'button';
    change.className = 'secondary';
    change.textContent = 'Change role';
    change.setAttribute('aria-describedby', name.id);
    change.addEventListener('click', () =>
      runBusy(change, async () => {
        const role = select.value as Role;
        await request<MemberInfo>(`/orgs/${org.id}/members/${member.user_id}`, { method: 'PATCH', json: { role } });
        await showOrganization(org);
        // The list is drawn anew: focus goes back to the same member's picker, not to the page's top.
        document.getElementById(select.id)?.focus();
        showNotice(`${member.email} is now ${role}.`);
      }),
    );
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'secondary';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-describedby', name.id);
    remove.addEventListener('click', () =>
      runBusy(remove, async () => {
        await request<null>(`/orgs/${org.id}/members/${member.user_id}`, { method: 'DELETE' });
        await showOrganization(org);
        byId('org-members-title').focus();
        showNotice(`${member.email} is no longer a member of ${org.name}.`);
      }),
    );
    controls.append(select, change, remove);
    item.append(controls);
  }
  return item;
}

function invitationEntry(org: OrganizationInfo, invitation: InvitationInfo): HTMLLIElement {
  return listEntry({
    id: `org-invitation-${invitation.id}`,
    name: invitation.email,
    badge: invitation.role,
    details: `Invited as ${invitation.role}; the link expires ${when(invitation.expires_at)}`,
    action: 'Cancel invitation',
    onAction: async () => {
      await request<null>(`/orgs/${org.id}/invitations/${invitation.id}`, { method: 'DELETE' });
      await showOrganization(org);
      byId('org-invitations-title').focus();
      showNotice(`The invitation of ${invitation.email} is cancelled.`);
    },
  });
}

export function mountOrganizations(): void {
  const create = byId<HTMLFormElement>('org-create-form');
  onSubmit(create, async ({ name = '', slug = '' }) => {
    const org = await request<OrganizationInfo>('/orgs', { method: 'POST', json: { name: name.trim(), slug: slug.trim() } });
    create.reset();
    await loadOrganizations();
    await openOrganization(org);
    showNotice(`The organization ${org.name} is created; you are its owner.`);
  });

  const invite = byId<HTMLFormElement>('org-invite-form');
  onSubmit(invite, async ({ email = '', role = 'member' }) => {
    const org = opened;
    if (!org) return;
    const sent = await request<InvitationInfo>(`/orgs/${org.id}/invitations`, { method: 'POST', json: { email: email.trim(), role } });
    invite.reset();
    await showOrganization(org);
    showNotice(`An invitation to join as ${sent.role} has been mailed to ${sent.email}.`);
  });

  const leave = byId<HTMLButtonElement>('org-leave');
  leave.addEventListener('click', () =>
    runBusy(leave, async () => {
      const org = opened;
      if (!org || !me) return;
      await request<null>(`/orgs/${org.id}/members/${me.id}`, { method: 'DELETE' });
      closeOrganization();
      await loadOrganizations();
      byId('orgs-title').focus();
      showNotice(`You have left ${org.name}.`);
    }),
  );
}

/** Keeps the token of an invitation link opened while signed out, for the sign-in that follows. */
export function rememberInvitation(token: string): void {
  pendingInvitation = token;
}

export function hasPendingInvitation(): boolean {
  return pendingInvitation !== null;
}

/**
 * Accepts the invitation kept by {@link rememberInvitation} (or `token`) as the signed-in user,
 * then shows the organization. A refusal (another address, not verified, used or expired) is
 * shown with the server's sentence; the token is forgotten either way, and the link in the mail
 * still works for its addressee.
 */
export async function acceptInvitation(token = pendingInvitation): Promise<void> {
  pendingInvitation = null;
  if (token === null) return;
  clearMessages();
  try {
    const org = await request<OrganizationInfo>('/invitations/accept', { method: 'POST', json: { token } });
    await loadOrganizations();
    await showOrganization(org);
    showNotice(`You have joined ${org.name} as ${org.role}.`);
  } catch (error) {
    if (error instanceof APIError && error.status === 401) {
      pendingInvitation = token;
      throw error;
    }
    await loadOrganizations();
    showError(error instanceof Error ? error.message : String(error));
  }
}
