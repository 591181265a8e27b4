import { type AuditEvent, type AuditLog, type AuditRecord, MAX_AUDIT_USER_AGENT } from '../../core/audit.js';
import type { AuditStore } from './audit-store.js';

/** Receives each event once it is stored (the plugin option `onAuditEvent`). */
export type AuditEventListener = (event: AuditRecord) => void | Promise<void>;

/** What the stored log needs besides its store. */
export interface StoredAuditLogOptions {
  now: () => Date;
  /** The host app's listener; its failures are reported to `onListenerError`, never to the action. */
  onAuditEvent?: AuditEventListener;
  onListenerError?: (error: unknown) => void;
}

/**
 * The audit log on an {@link AuditStore}: each event is appended to the hash chain, then handed to
 * the host's listener. The append is awaited (an action whose record failed fails too: a security
 * event must not be lost silently, OWASP Logging CS); the listener is not, so a slow or failing
 * logger in the host app neither delays nor fails the request.
 */
export class StoredAuditLog implements AuditLog {
  private readonly store: AuditStore;
  private readonly options: StoredAuditLogOptions;

  constructor(store: AuditStore, options: StoredAuditLogOptions) {
    this.store = store;
    this.options = options;
  }

  async record(event: AuditEvent): Promise<void> {
    const userAgent = event.userAgent === null ? null : event.userAgent.slice(0, MAX_AUDIT_USER_AGENT);
    const stored = await this.store.append({ ...event, userAgent }, this.options.now());
    const listener = this.options.onAuditEvent;
    if (!listener) return;
    try {
      Promise.resolve(listener(stored)).catch((error: unknown) => this.options.onListenerError?.(error));
    } catch (error) {
      this.options.onListenerError?.(error);
    }
  }
}
