import type { FastifyInstance, FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { Store } from '../../core/store.js';
import type { Throttle } from '../../core/throttle.js';
import { ConfigError } from '../../core/errors.js';
import type { MailOutbox } from '../../mail/outbox.js';
import { OrganizationService, type Membership } from './organizations.js';
import { createRequirePermission, type RequirePermission } from './permission-guard.js';
import type { RolePermissions } from './roles.js';
import { organizationRoutes, type OrganizationRoutesOptions } from './routes.js';
import type { OrganizationStore } from './store.js';

export type { Membership } from './organizations.js';
export type { RequirePermission, RequirePermissionOptions } from './permission-guard.js';
export { DEFAULT_ROLE_PERMISSIONS, ROLES, type Role, type RolePermissions } from './roles.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A guard for host routes that act within an organization (docs/organizations.md):
     * `{ preHandler: app.requirePermission('invoices:write', { org: (request) => request.params.orgId }) }`.
     * 401 unauthenticated, 404 non-member, 403 `ORG_FORBIDDEN` without the permission.
     */
    requirePermission: RequirePermission;
  }
  interface FastifyRequest {
    /** The caller's membership of the route's organization, set by `app.requirePermission`. */
    membership: Membership | null;
  }
}

/** What the capability needs of the kernel. */
export interface OrganizationsSetup {
  store: Store;
  throttle: Throttle;
  outbox: MailOutbox;
  roles: RolePermissions;
  authenticate: preHandlerAsyncHookHandler;
  /** Base of invitation links: the public URL and route prefix. */
  linkBase: string;
  now: () => Date;
  /** Runs a check before any user is deleted (AccountService's hook). */
  beforeUserDeletion: (check: (userId: number) => Promise<void>) => void;
}

/**
 * Builds the organization service on the host app (`app.requirePermission`, `request.membership`)
 * and hooks user deletion; the routes are registered with {@link organizationsFeature}. The store
 * must hold the organization tables (`SQLStore` does); a custom store without them is refused
 * here, naming the option that turns the capability off.
 */
export function setUpOrganizations(app: FastifyInstance, setup: OrganizationsSetup): OrganizationService {
  const organizations = (setup.store as { organizations?: OrganizationStore }).organizations;
  if (!organizations)
    throw new ConfigError('organizations', 'the store has no organization tables: pass `organizations: false`, or a store with `organizations`');
  const service = new OrganizationService({ ...setup, organizations });
  setup.beforeUserDeletion((userId) => service.beforeUserDeletion(userId));
  app.decorate('requirePermission', createRequirePermission(service, setup.authenticate));
  app.decorateRequest('membership', null);
  return service;
}

/** Organizations (docs/organizations.md), as one sub-plugin: its routes. */
export const organizationsFeature: FastifyPluginAsync<OrganizationRoutesOptions> = async (app, options) => {
  await app.register(organizationRoutes, options);
};
