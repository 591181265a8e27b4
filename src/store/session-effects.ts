import type { SessionChange } from '../core/session-cache.js';
import type { Store } from '../core/store.js';

/** A method that only reads, or is lifecycle (`ping`, `close`): no session can change through it. */
export const READS = 'reads';
/** A write that cannot end or change a session or its user (new rows, action tokens, bookkeeping). */
export const KEEPS_SESSIONS = 'keeps-sessions';

/** What a call of one store method does to sessions: nothing, or the change its arguments name. */
export type SessionEffect<Args extends unknown[]> = typeof READS | typeof KEEPS_SESSIONS | ((args: Args) => SessionChange);

type Method = (...args: never[]) => unknown;

/** A table of effects for every method of `T`, and a nested table for every sub-store it holds. */
export type SessionEffects<T> = {
  [K in keyof T]-?: T[K] extends Method ? SessionEffect<Parameters<T[K]>> : T[K] extends object ? SessionEffects<T[K]> : never;
};

/**
 * Every method of {@link Store}, and of the stores it composes (`secondFactor`, `passkeys`),
 * classified. The mapped type makes the compiler refuse a method that is missing here, and
 * test/store/session-effects.test.ts enumerates the interfaces' methods (with the TypeScript
 * checker) as a second guard: a write path added later cannot skip the eviction without someone
 * deciding, here, that it does not touch sessions.
 */
export type StoreSessionEffects = SessionEffects<Store>;

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
  // A re-authentication alters the session (its authenticated_at): read afresh, here and elsewhere.
  reauthenticateToken: ([digest]) => ({ digests: [digest] }),
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
  // Second factor (docs/two-factor.md): the cached user holds none of it; enabling TOTP ends the
  // other sessions through deleteUserTokens. Confirming an enrolment, or removing it, changes
  // how the user signs in: their cached sessions go too, to be read afresh.
  secondFactor: {
    savePendingTOTP: KEEPS_SESSIONS,
    findTOTP: READS,
    useTOTPStep: ([userId, , options]) => ({ userIds: options?.confirm ? [userId] : [] }),
    replaceTOTPSecret: KEEPS_SESSIONS,
    deleteTOTP: ([userId]) => ({ userIds: [userId] }),
    replaceRecoveryCodes: KEEPS_SESSIONS,
    useRecoveryCode: KEEPS_SESSIONS,
    countRecoveryCodes: READS,
  },
  // Passkeys sign in (new sessions); they change no existing one.
  passkeys: {
    createPasskey: KEEPS_SESSIONS,
    listPasskeys: READS,
    findPasskeyByCredentialId: READS,
    usePasskey: KEEPS_SESSIONS,
    deletePasskey: KEEPS_SESSIONS,
    createChallenge: KEEPS_SESSIONS,
    consumeChallenge: KEEPS_SESSIONS,
    deleteExpiredChallenges: KEEPS_SESSIONS,
  },
  // Provider identities (docs/oauth.md): linking or unlinking one changes how the user signs in
  // next time, not a session nor the cached user.
  oauthAccounts: {
    linkOAuthAccount: KEEPS_SESSIONS,
    findOAuthAccount: READS,
    listOAuthAccounts: READS,
    unlinkOAuthAccount: KEEPS_SESSIONS,
    deleteUnverifiedOAuthAccounts: KEEPS_SESSIONS,
  },
  // API keys (docs/api-keys.md) are cached beside sessions, under their digest: a revocation
  // evicts that digest. Only revoked or expired keys are purged, and expiry is checked on every request.
  apiKeys: {
    createApiKey: KEEPS_SESSIONS,
    findApiKeySession: READS,
    listApiKeys: READS,
    countApiKeys: READS,
    findApiKeyDigest: READS,
    touchApiKey: KEEPS_SESSIONS,
    revokeApiKey: ([digest]) => ({ digests: [digest] }),
    deleteDeadApiKeys: KEEPS_SESSIONS,
  },
  // Email sign-in requests (docs/email-sign-in.md) open new sessions; they change no existing one.
  emailSignIns: {
    createEmailSignIn: KEEPS_SESSIONS,
    findEmailSignInByLink: READS,
    findEmailSignInByBinding: READS,
    takeEmailSignInTry: KEEPS_SESSIONS,
    returnEmailSignInTry: KEEPS_SESSIONS,
    useEmailSignIn: KEEPS_SESSIONS,
    deleteExpiredEmailSignIns: KEEPS_SESSIONS,
  },
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
  return wrapStore(store, STORE_SESSION_EFFECTS as unknown as EffectTable, listener, onUnknown);
}

type EffectTable = { [key: string]: SessionEffect<unknown[]> | EffectTable | undefined };

function wrapStore<T extends object>(store: T, effects: EffectTable, listener: SessionChangeListener, onUnknown: () => void): T {
  // Wrappers made once per method, and made again if the store's property is replaced (a test
  // double, a patched method): the choke point must wrap what the store holds now.
  const wrapped = new Map<PropertyKey, { value: unknown; result: unknown }>();
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      const effect = typeof key === 'string' ? effects[key] : undefined;
      const known = wrapped.get(key);
      if (known !== undefined && known.value === value) return known.result;
      let result: unknown;
      if (typeof value === 'function') {
        const methodEffect = typeof effect === 'object' ? undefined : effect;
        result = wrap(target as Store, value as (...args: unknown[]) => unknown, methodEffect ?? UNKNOWN_WRITE, listener, onUnknown);
      } else if (typeof value === 'object' && value !== null && typeof effect === 'object') {
        // A composed store (`secondFactor`, `passkeys`): its methods go through the same choke point.
        result = wrapStore(value, effect, listener, onUnknown);
      } else {
        return value;
      }
      wrapped.set(key, { value, result });
      return result;
    },
  });
}

function wrap(
  target: object,
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
