import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { AuthError } from '../../core/errors.js';
import { missingScopes } from '../../core/credentials.js';
import { insufficientScope } from '../../http/guard.js';
import { sendError, toAuthError } from '../../http/reply-error.js';
import type { Membership, OrganizationService } from './organizations.js';

/** Where a host route names its organization: a function of the request (`(request) => request.params.orgId`). */
export interface RequirePermissionOptions {
  org: (request: FastifyRequest) => string | number | undefined;
}

/** `app.requirePermission(permission, { org })`: builds the preHandler of docs/organizations.md. */
export type RequirePermission = (permission: string, options: RequirePermissionOptions) => preHandlerAsyncHookHandler;

const ORG_ID = /^[1-9][0-9]{0,9}$/;

/**
 * A preHandler for host routes: authenticates (401 otherwise), then admits only a member of the
 * organization the route names (404 otherwise, as the plugin's routes answer: no existence
 * oracle) whose role holds `permission` under the configured mapping (403 `ORG_FORBIDDEN`),
 * with the organization's second-factor rule (403 `ORG_MFA_REQUIRED`). A provider token or an API
 * key must also hold the permission as a scope (403 `INSUFFICIENT_SCOPE`), and an organization's
 * key is admitted for its own organization only. Sets `request.membership`.
 * It answers errors itself, so it works whatever error handler the host app has.
 */
export function createRequirePermission(organizations: OrganizationService, authenticate: preHandlerAsyncHookHandler): RequirePermission {
  return (permission, options) => {
    if (typeof permission !== 'string' || permission === '') throw new TypeError('requirePermission: permission must be a non-empty string');
    if (typeof options?.org !== 'function') throw new TypeError('requirePermission: options.org must be a function of the request');
    const handler = async function requirePermission(this: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void> {
      if (!request.authSession) {
        await authenticate.call(this as never, request, reply);
        if (reply.sent || !request.authSession) return;
      }
      try {
        const given = options.org(request);
        const text = typeof given === 'number' ? String(given) : given;
        // Anything but a plain id is no organization: the same 404 as a non-member's.
        if (typeof text !== 'string' || !ORG_ID.test(text) || Number(text) > 2_147_483_647) throw new AuthError('ORG_NOT_FOUND');
        const session = request.authSession;
        // A delegated credential acts within its scopes only (RFC 6750 §3.1): the permission must be
        // one of them; an organization's key acts for that organization and no other.
        if (session.kind === 'api_key' && session.orgId !== undefined && session.orgId !== text) throw new AuthError('ORG_NOT_FOUND');
        if (missingScopes(session, [permission]).length > 0) throw insufficientScope([permission]);
        const membership: Membership = await organizations.access(request.authSession.user, Number(text));
        if (!organizations.permits(membership, permission))
          throw new AuthError('ORG_FORBIDDEN', `Your role (${membership.role}) does not grant "${permission}"`);
        request.membership = membership;
      } catch (error) {
        const authError = toAuthError(error);
        if (authError.statusCode >= 500) request.log.warn({ err: error }, 'permission check failed: backing service');
        await sendError(reply, authError);
      }
    };
    return handler as preHandlerAsyncHookHandler;
  };
}
