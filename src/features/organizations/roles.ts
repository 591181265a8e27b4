import { ConfigError } from '../../core/errors.js';

/** The roles, from the least to the most trusted. */
export const ROLES = ['member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `role` is at least `least` in the order member < admin < owner. */
export function roleAtLeast(role: Role, least: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(least);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Permissions of each role, for host routes (`app.requirePermission`); `*` grants every permission. */
export type RolePermissions = Readonly<Record<Role, readonly string[]>>;

/** The permission that grants every other. */
export const ALL_PERMISSIONS = '*';

/**
 * The default mapping (docs/organizations.md): a member reads the member list; an admin manages
 * members, invitations, settings and the organization's API keys; an owner may do anything.
 * The plugin's own routes follow the role order itself, whatever this mapping says, so a
 * mapping can grant host permissions without weakening who may change a membership.
 */
export const DEFAULT_ROLE_PERMISSIONS: RolePermissions = {
  member: ['members:read'],
  admin: ['members:read', 'members:write', 'invitations:read', 'invitations:write', 'org:update', 'api-keys:read', 'api-keys:write'],
  owner: [ALL_PERMISSIONS],
};

const PERMISSION = /^(\*|[A-Za-z0-9][A-Za-z0-9:._-]{0,63})$/;

/**
 * Checks a mapping given as an option or as `ORG_ROLE_PERMISSIONS` (JSON) and merges it over the
 * defaults: a role it names gets exactly the list given; a role it omits keeps its default.
 * `key` names the option in the error.
 */
export function resolveRolePermissions(given: unknown, key = 'roles'): RolePermissions {
  if (given === undefined) return DEFAULT_ROLE_PERMISSIONS;
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new ConfigError(key, 'must be an object of role → list of permissions');
  const resolved: Record<Role, readonly string[]> = { ...DEFAULT_ROLE_PERMISSIONS };
  for (const [role, permissions] of Object.entries(given)) {
    if (!isRole(role)) throw new ConfigError(key, `unknown role "${role}" (roles are ${ROLES.join(', ')})`);
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string' && PERMISSION.test(p))) {
      throw new ConfigError(key, `${role} must be a list of permissions like "invoices:write" (letters, digits, ":._-", at most 64 characters) or "*"`);
    }
    resolved[role] = Object.freeze([...new Set(permissions as string[])]);
  }
  return Object.freeze(resolved);
}

/** Parses `ORG_ROLE_PERMISSIONS`: JSON of the same shape as the `roles` option. */
export function parseRolePermissions(json: string, key = 'ORG_ROLE_PERMISSIONS'): RolePermissions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError(key, 'must be JSON, e.g. {"admin":["members:write","invoices:write"]}');
  }
  return resolveRolePermissions(parsed, key);
}

/** Whether `role` holds `permission` under `mapping`. */
export function roleHasPermission(mapping: RolePermissions, role: Role, permission: string): boolean {
  const granted = mapping[role];
  return granted.includes(ALL_PERMISSIONS) || granted.includes(permission);
}
