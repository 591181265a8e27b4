import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { type AuditLog, NO_AUDIT_LOG } from '../../core/audit.js';
import type { ResolvedAuthOptions } from '../../core/options.js';
import type { Store } from '../../core/store.js';
import { type AuditEventListener, StoredAuditLog } from './audit-log.js';
import type { AuditStore } from './audit-store.js';
import { type ImpersonationRoutesOptions, impersonationRoutes } from './impersonation-routes.js';
import { type AuditRoutesOptions, auditRoutes } from './routes.js';

export type { AuditEventListener } from './audit-log.js';
export type { AuditQuery, AuditStore, AuditVerification } from './audit-store.js';

/** The audit log as the plugin holds it: the log its routes record to, its store, and the periodic prune. */
export interface AuditSetup {
  log: AuditLog;
  /** `null` when the store keeps no audit table (a custom `store` without `audit`). */
  store: AuditStore | null;
  /** Deletes events older than the retention; 0 when retention is off. */
  prune(): Promise<number>;
}

const DAY_MS = 86_400_000;

/**
 * Builds the audit log on the store's `audit` table (the SQL store has one), with the host's
 * `onAuditEvent` listener and the retention (docs/audit.md). A custom store without one records
 * nothing, with a warning.
 */
export function auditFeatureLog(
  store: Store,
  auth: ResolvedAuthOptions,
  options: { onAuditEvent: AuditEventListener | undefined; auditRetentionDays: number },
  log: FastifyBaseLogger,
): AuditSetup {
  const auditStore = (store as Store & { audit?: AuditStore }).audit ?? null;
  if (auditStore === null) {
    log.warn('the store has no audit table: security events are not recorded (docs/audit.md)');
    return { log: NO_AUDIT_LOG, store: null, prune: async () => 0 };
  }
  const auditLog = new StoredAuditLog(auditStore, {
    now: auth.now,
    onAuditEvent: options.onAuditEvent,
    onListenerError: (err) => log.warn({ err }, 'onAuditEvent failed'),
  });
  return {
    log: auditLog,
    store: auditStore,
    prune: async () => {
      if (options.auditRetentionDays === 0) return 0;
      const now = auth.now();
      return auditStore.prune(new Date(now.getTime() - options.auditRetentionDays * DAY_MS), now);
    },
  };
}

/** The audit log's reading routes and support impersonation (docs/audit.md), as one sub-plugin; registered when the store keeps an audit table. */
export const auditFeature: FastifyPluginAsync<AuditRoutesOptions & ImpersonationRoutesOptions> = async (app, options) => {
  await app.register(auditRoutes, options);
  // Impersonation lives with the log: it exists only where every step of it is recorded.
  await app.register(impersonationRoutes, options);
};
