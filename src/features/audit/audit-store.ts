import type { AuditEvent, AuditEventType, AuditRecord } from '../../core/audit.js';

/** A page of events, newest first. */
export interface AuditQuery {
  /** Events whose subject or actor is this user. */
  userId?: number;
  /** Events about this user only (the user's own list). */
  subjectUserId?: number;
  type?: AuditEventType;
  /** Events at or after this time. */
  since?: Date;
  /** Events with an id below this one (the next page). */
  beforeId?: number;
  limit: number;
}

/** What `verify` found: the chain holds from `firstId` to `lastId`, or the first row that breaks it. */
export type AuditVerification =
  | { ok: true; count: number; firstId: number | null; lastId: number | null }
  | { ok: false; count: number; brokenId: number; reason: string };

/** Persistence of the audit log (docs/audit.md): one hash chain per database. */
export interface AuditStore {
  /**
   * Appends an event at `at` to the chain, serialised with every other append to the same
   * database (whichever process makes it), and returns it as stored.
   */
  append(event: AuditEvent, at: Date): Promise<AuditRecord>;
  /** Events matching `query`, newest first. */
  list(query: AuditQuery): Promise<AuditRecord[]>;
  /** Events from `since` (all when absent), oldest first, in batches; for export. */
  stream(since: Date | undefined, batchSize?: number): AsyncIterable<AuditRecord>;
  /** Walks the chain from the oldest kept row to the head, recomputing every hash. */
  verify(): Promise<AuditVerification>;
  /**
   * Deletes events older than `before`, keeping the chain verifiable: the deletion itself is
   * appended as an `audit.pruned` event naming the last deleted row and its hash. Returns how many went.
   */
  prune(before: Date, at: Date): Promise<number>;
}
