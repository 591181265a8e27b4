import type { AuditRecord } from '../../core/audit.js';

/** An event as the routes answer it (docs/audit.md): the stored row, named as in the table, without the hashes. */
export function toEventView(event: AuditRecord) {
  return {
    id: event.id,
    at: event.at.toISOString(),
    type: event.type,
    actor_user_id: event.actorUserId,
    subject_user_id: event.subjectUserId,
    org_id: event.orgId ?? null,
    ip: event.ip,
    user_agent: event.userAgent,
    detail: event.detail as Record<string, unknown>,
  };
}

/** An event as `events export` writes it: the view with the hashes, so a copy can be verified elsewhere. */
export function toExportedEvent(event: AuditRecord) {
  return { ...toEventView(event), prev_hash: event.prevHash, hash: event.hash };
}
