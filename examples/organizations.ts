// A host app whose routes act within an organization (docs/organizations.md), run by
// test/examples/organizations.test.ts: members read the organization's invoices, admins and
// owners also write them. The plugin's organization routes live under /auth (/auth/orgs, …).
// docs:begin
import Fastify from 'fastify';
import { DEFAULT_ROLE_PERMISSIONS, fastifyUsers, type FastifyUsersOptions } from '../src/index.js';

interface Invoice {
  id: number;
  amount: number;
}

export async function buildApp(options: FastifyUsersOptions) {
  const app = Fastify();
  await app.register(fastifyUsers, {
    routePrefix: '/auth',
    // Each role's permissions: the defaults plus this app's own (ORG_ROLE_PERMISSIONS for the server).
    roles: {
      member: [...DEFAULT_ROLE_PERMISSIONS.member, 'invoices:read'],
      admin: [...DEFAULT_ROLE_PERMISSIONS.admin, 'invoices:read', 'invoices:write'],
    },
    ...options,
  });
  const invoices = new Map<number, Invoice[]>();
  // The organization comes from the path; the guard answers 401, 404 (not a member) or 403 itself.
  const org = (request: { params: unknown }) => (request.params as { orgId: string }).orgId;

  app.get('/orgs/:orgId/invoices', { preHandler: app.requirePermission('invoices:read', { org }) }, async (request) => {
    const membership = request.membership!; // typed: organization, role, permissions, …
    return { organization: membership.organization.slug, role: membership.role, invoices: invoices.get(membership.orgId) ?? [] };
  });

  app.post('/orgs/:orgId/invoices', { preHandler: app.requirePermission('invoices:write', { org }) }, async (request, reply) => {
    const { amount } = request.body as { amount: number };
    const list = invoices.get(request.membership!.orgId) ?? [];
    const invoice = { id: list.length + 1, amount: Number(amount) };
    invoices.set(request.membership!.orgId, [...list, invoice]);
    return reply.code(201).send(invoice);
  });
  return app;
}
// docs:end
