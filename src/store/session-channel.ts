import type { SessionChange, SessionChangeSink } from '../core/session-cache.js';

/**
 * How an instance hears of session changes made elsewhere: PostgreSQL LISTEN/NOTIFY, Redis
 * pub/sub, or SQLite's change counter (docs/session-cache.md). A channel reports to a
 * {@link SessionChangeSink}: changes, confirmations that nothing is pending, and losses.
 */
export interface SessionChannel {
  /**
   * Starts delivering to `sink`, and resolves after the first attempt to connect. Until the first
   * confirmation the sink is not trusted, so a channel that cannot connect only costs speed.
   */
  start(sink: SessionChangeSink): Promise<void>;
  /** Announces a change made here, for channels the database does not feed by itself (Redis). */
  publish?(change: SessionChange): void;
  close(): Promise<void>;
}

/** How often a channel confirms that it is alive: a few times within the cache's lease. */
export const SESSION_CHANNEL_HEARTBEAT_MS = 200;

/** Wait before reconnecting a lost channel, doubled up to {@link SESSION_CHANNEL_MAX_RETRY_MS}. */
export const SESSION_CHANNEL_RETRY_MS = 50;
export const SESSION_CHANNEL_MAX_RETRY_MS = 2000;

/** Parses the database's notice (`u:<user id>` or `t:<token digest>`, migration 0005); `null` when malformed. */
export function parseSessionNotice(payload: string): SessionChange | null {
  if (payload.startsWith('u:')) {
    const id = Number(payload.slice(2));
    return Number.isSafeInteger(id) ? { userIds: [id] } : null;
  }
  if (payload.startsWith('t:') && payload.length > 2) return { digests: [payload.slice(2)] };
  return null;
}
