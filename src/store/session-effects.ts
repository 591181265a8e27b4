import type { SessionChange } from '../core/session-cache.js';
import type { Store } from './types.js';

/** A method that only reads, or is lifecycle (`ping`, `close`): no session can change through it. */
export const READS = 'reads';
/** A write that cannot end or change a session or its user (new rows, action tokens, bookkeeping). */
export const KEEPS_SESSIONS = 'keeps-sessions';

/** What a call of one store method does to sessions: nothing, or the change its arguments name. */
export type SessionEffect<Args extends unknown[]> = typeof READS | typeof KEEPS_SESSIONS | ((args: Args) => SessionChange);

type Method = (...args: never[]) => unknown;

/**
 * Every method of {@link Store}, classified. The mapped type makes the compiler refuse a `Store`
 * method that is missing here, and test/store/session-effects.test.ts enumerates the interface's
 * methods (with the TypeScript checker) as a second guard: a write path added later cannot skip
 * the eviction without someone deciding, here, that it does not touch sessions.
 */
export type StoreSessionEffects = {
  [K in keyof Store]-?: Store[K] extends Method ? SessionEffect<Parameters<Store[K]>> : never;
};

/**
 * The one table of which store writes end or change sessions (docs/session-cache.md). A changed
 * user evicts all of its sessions: the cached copy of the user (email, `is_active`,
 * `is_superuser`, password hash) is what the guard would answer with.
 */
export const STORE_SESSION_EFFECTS: StoreSessionEffects = {
  createUser: KEEPS_SESSIONS,
  findUserById: READS,
  findUserByEmail: READS,
  updateUser: ([id]) => ({ userIds: [id] }),
  replacePasswordHash: ([id]) => ({ userIds: [id] }),
  deleteUser: ([id]) => ({ userIds: [id] }),
  listUsers: READS,
  createToken: KEEPS_SESSIONS,
  findSession: READS,
  // The cache records its own writes of last_used_at (SessionCache.touched).
  touchToken: KEEPS_SESSIONS,
  deleteToken: ([digest]) => ({ digests: [digest] }),
  deleteUserTokens: ([userId]) => ({ userIds: [userId] }),
  listUserTokens: READS,
  // Only expired tokens go, and expiry is checked on every request, cached or not.
  deleteExpiredTokens: KEEPS_SESSIONS,
  createActionToken: KEEPS_SESSIONS,
  findActionToken: READS,
  consumeActionToken: KEEPS_SESSIONS,
  deleteUserActionTokens: KEEPS_SESSIONS,
  deleteExpiredActionTokens: KEEPS_SESSIONS,
  ping: READS,
  close: READS,
};

/** Receives the change of every session-changing write made through the wrapped store. */
export type SessionChangeListener = (change: SessionChange) => void;

/** Everything we evict when a method is not in the table: an unknown write may have changed anything. */
const UNKNOWN_WRITE = Symbol('unknown write');

/**
 * The choke point: `store` as seen by the services, where every call of a session-changing method
 * reports its change to `listener` as soon as it returns (or fails: a failed call may still have
 * committed), before the caller sees the result. That is what makes the instance that made a
 * change refuse the very next request. Other instances learn of it from the database's own
 * notice (docs/session-cache.md). A method missing from the table (one an implementation has
 * beyond the `Store` interface) calls `onUnknown` after each call, which empties the cache: safe,
 * if slow, until someone classifies it.
 */
export function withSessionChanges(store: Store, listener: SessionChangeListener, onUnknown: () => void): Store {
  const effects = STORE_SESSION_EFFECTS as Record<string, SessionEffect<unknown[]> | undefined>;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      let method = wrapped.get(key);
      if (method === undefined) {
        const effect = typeof key === 'string' ? effects[key] : undefined;
        method = wrap(target, value as (...args: unknown[]) => unknown, effect ?? UNKNOWN_WRITE, listener, onUnknown);
        wrapped.set(key, method);
      }
      return method;
    },
  });
}

function wrap(
  target: Store,
  method: (...args: unknown[]) => unknown,
  effect: SessionEffect<unknown[]> | typeof UNKNOWN_WRITE,
  listener: SessionChangeListener,
  onUnknown: () => void,
): (...args: unknown[]) => unknown {
  if (effect === READS || effect === KEEPS_SESSIONS) return method.bind(target);
  const report = effect === UNKNOWN_WRITE ? onUnknown : (args: unknown[]) => listener(effect(args));
  return async (...args: unknown[]) => {
    try {
      return await method.apply(target, args);
    } finally {
      report(args);
    }
  };
}
