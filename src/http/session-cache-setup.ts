import type { FastifyInstance } from 'fastify';
import type { ResolvedAuthOptions } from '../core/options.js';
import { SessionCache, type SessionChange } from '../core/session-cache.js';
import { withSessionChanges } from '../store/session-effects.js';
import type { SessionChannel } from '../store/session-channel.js';
import { SQLStore } from '../store/sql/sql-store.js';
import type { Store } from '../core/store.js';

/** The store the services use and the cache they share, when the cache is on. */
export interface SessionCacheSetup {
  store: Store;
  sessions: SessionCache | undefined;
  /**
   * Reports a change made here outside the store (the OAuth provider's grants, in its own tables):
   * evicted at once here and published where the channel needs it (Redis), as a store write's is.
   */
  report: ((change: SessionChange) => void) | undefined;
}

/**
 * Turns the session cache on (docs/session-cache.md): the store is wrapped so that this
 * instance's own changes evict at once, and the channel (given, or the database's own) feeds
 * changes made elsewhere. Without a channel there is no cache: correct before fast.
 */
export async function setUpSessionCache(
  app: FastifyInstance,
  store: Store,
  options: ResolvedAuthOptions,
  given: SessionChannel | undefined,
): Promise<SessionCacheSetup> {
  if (!options.sessionCache) return { store, sessions: undefined, report: undefined };
  const channel = given ?? (store instanceof SQLStore ? store.sessionChannel() : null);
  if (channel === null) {
    app.log.warn('session cache off: the store offers no change channel (pass `sessionChannel`, see docs/session-cache.md)');
    return { store, sessions: undefined, report: undefined };
  }
  const sessions = new SessionCache({ size: options.sessionCacheSize, maxBytes: options.sessionCacheMaxBytes });
  const report = (change: SessionChange) => {
    sessions.evict(change);
    if (channel !== 'local') channel.publish?.(change);
  };
  const wrapped = withSessionChanges(store, report, () => sessions.clear());
  if (channel === 'local') {
    sessions.trustForever();
    return { store: wrapped, sessions, report };
  }
  app.addHook('onClose', async () => channel.close());
  try {
    await channel.start(sessions);
  } catch (error) {
    // E.g. a database not migrated to 0005 (opened with `migrate: false`): no notices, no cache.
    app.log.warn({ err: error }, 'session cache off: its change channel did not start');
    return { store, sessions: undefined, report: undefined };
  }
  return { store: wrapped, sessions, report };
}
