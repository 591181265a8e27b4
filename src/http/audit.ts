import type { FastifyRequest } from 'fastify';
import type { AuditContext, AuditDetails, AuditEvent, AuditEventType, AuditLog } from '../core/audit.js';

/**
 * Who and where, from a request: the address as the plugin resolved it (`TRUSTED_PROXIES`), the
 * user agent, and, when the request is authenticated, its user as the subject and the one acting
 * as the actor — the impersonating superuser during impersonation, else the user.
 */
export function auditContextOf(request: FastifyRequest): AuditContext {
  const agent = request.headers['user-agent'];
  const session = request.authSession as FastifyRequest['authSession'] | null;
  const userId = session?.user.id ?? null;
  return {
    actorUserId: (session?.kind === 'session' ? session.impersonatorId : undefined) ?? userId,
    subjectUserId: userId,
    ip: request.ip,
    userAgent: typeof agent === 'string' ? agent : null,
  };
}

/**
 * Records an event of `request` (docs/audit.md): `auditEvent(audit, request, 'passkey.added',
 * { passkey_id, name })`. `context` overrides what the request says (the subject of an admin
 * change, an organization).
 */
export function auditEvent<T extends AuditEventType>(
  audit: AuditLog,
  request: FastifyRequest,
  type: T,
  detail: AuditDetails[T],
  context: Partial<AuditContext> = {},
): Promise<void> {
  return audit.record({ ...auditContextOf(request), ...context, type, detail } as AuditEvent);
}
