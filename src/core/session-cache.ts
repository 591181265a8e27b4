import { LRUCache } from 'lru-cache';
import { compactUser } from './compact-user.js';
import type { User } from './user.js';

/** Sessions kept per instance when nothing else is configured (docs/session-cache.md). */
export const DEFAULT_SESSION_CACHE_SIZE = 100_000;

/**
 * The cache's heap budget when nothing else is configured: 64 MiB, about 130,000 sessions of
 * ordinary length, so the entry bound is the one that binds unless emails or hashes are long.
 */
export const DEFAULT_SESSION_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Heap bytes an entry takes besides its three strings (digest, email, password hash): the entry,
 * the compact user and its two times, the LRU's and the per-user index's slots. Measured with
 * bench/memory-session.ts (491 bytes a session at 100,000, of which 224 are the strings), rounded up.
 */
const ENTRY_OVERHEAD_BYTES = 300;

/** V8's heap size of a string: a 16-byte header, then one byte a character, two if any is beyond Latin-1. */
function stringBytes(text: string): number {
  return 16 + text.length * (/[\u0100-\uffff]/.test(text) ? 2 : 1);
}

/** What one cached session costs the heap, by {@link ENTRY_OVERHEAD_BYTES} and its strings' lengths. */
export function cachedSessionBytes(digest: string, session: CachedSession): number {
  return ENTRY_OVERHEAD_BYTES + stringBytes(digest) + stringBytes(session.user.email) + stringBytes(session.user.hashedPassword);
}

/**
 * How long a confirmation from the change channel is trusted, in milliseconds. A channel confirms
 * "every change committed before time T has reached you"; the cache answers only until T + this.
 * A connection that dies silently therefore stops the cache within this bound, which is the
 * guarantee "revoked everywhere within a second" (docs/session-cache.md, "Guarantees").
 */
export const SESSION_CACHE_LEASE_MS = 1000;

/** What the guard needs of a validated session, without asking the database again. */
export interface CachedSession {
  /** The session's user, frozen: every request of the session shares this object. */
  user: Readonly<User>;
  /** Absolute expiry of the token (epoch ms), checked on every request. */
  expiresAt: number;
  /** When `last_used_at` was last written (epoch ms), so the bookkeeping keeps its pace. */
  lastUsedAt: number;
  /**
   * What a credential other than a first-party session carries besides its user (an API key's
   * id and scopes, docs/api-keys.md), kept as given and frozen. Such credentials share the cache,
   * its bounds and its eviction by digest and by user; their digests are of other strings than
   * our session tokens, so a session lookup never meets one.
   */
  grant?: Readonly<object>;
}

/**
 * How the cache holds a {@link CachedSession}: its two times in whole seconds. An epoch in
 * milliseconds is beyond V8's small integers, so each such field is a separate 16-byte heap
 * number; epoch seconds are small integers, kept inside the object, until 2038 (docs/session-cache.md,
 * "Memory"). Rounding down makes a cached session expire up to a second early, never late, and
 * `last_used_at` written up to a second early. The accessors live on the prototype: no heap per entry.
 */
class CacheEntry implements CachedSession {
  readonly user: Readonly<User>;
  readonly grant: Readonly<object> | undefined;
  private readonly expiresAtSeconds: number;
  private lastUsedAtSeconds: number;

  constructor(user: Readonly<User>, expiresAt: number, lastUsedAt: number, grant: Readonly<object> | undefined) {
    this.user = user;
    this.grant = grant;
    this.expiresAtSeconds = Math.floor(expiresAt / 1000);
    this.lastUsedAtSeconds = Math.floor(lastUsedAt / 1000);
  }

  get expiresAt(): number {
    return this.expiresAtSeconds * 1000;
  }

  get lastUsedAt(): number {
    return this.lastUsedAtSeconds * 1000;
  }

  set lastUsedAt(at: number) {
    this.lastUsedAtSeconds = Math.floor(at / 1000);
  }
}

/** What a write changed: sessions by token digest, and users (all their sessions) by id. */
export interface SessionChange {
  digests?: readonly string[];
  userIds?: readonly number[];
}

/**
 * Where a change channel reports. Implemented by {@link SessionCache}; a channel (LISTEN/NOTIFY,
 * Redis pub/sub, SQLite's change counter) calls these and nothing else.
 */
export interface SessionChangeSink {
  /** A change made somewhere (here or elsewhere): drop what it touches. */
  evict(change: SessionChange): void;
  /** Every change committed before `at` (a {@link monotonicNow} reading) has been delivered. */
  confirm(at: number): void;
  /** A notice may have been missed (connection lost): answer from the database until the next confirm, then start empty. */
  lost(): void;
}

/** Milliseconds on a clock that never goes back (unlike `Date.now()`), for leases. */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * A bounded, least-recently-used map from token digest to {@link CachedSession}, trusted only while
 * its change channel vouches for it. Two rules keep it from ever serving a revoked session longer
 * than the lease:
 * - a session read from the database is stored only if no change arrived while it was read (the
 *   `ticket`): otherwise a read that raced a revocation could put the revoked session back;
 * - before the channel's first confirmation, and after a lost channel, the cache is emptied
 *   (and reads in flight refused) before it answers again.
 */
export class SessionCache implements SessionChangeSink {
  private readonly entries: LRUCache<string, CachedSession>;
  /**
   * Digests cached per user, so a change of the user evicts all of its sessions: the digest
   * itself for a user with one cached session (most users; a Set costs ~150 bytes more), a Set
   * from the second on.
   */
  private readonly byUser = new Map<number, string | Set<string>>();
  /** Bumped by every change: a read that started under an older value is not stored. */
  private epoch = 0;
  private trustedUntil = 0;
  /**
   * Set from the start, as after a loss: a channel vouches only for changes made once it listens,
   * and a request may have read the database before that (a Redis subscription completes after
   * the server is ready), so the first confirmation refuses reads begun before it.
   */
  private mustClear = true;
  /** Counters for tests and metrics. */
  readonly stats = { hits: 0, misses: 0, evictions: 0, clears: 0 };

  /**
   * `size`: entries at most; `maxBytes`: their estimated heap at most ({@link cachedSessionBytes}).
   * Whichever binds first makes the least recently used leave.
   */
  constructor(options: { size?: number; maxBytes?: number } = {}) {
    this.entries = new LRUCache<string, CachedSession>({
      max: options.size ?? DEFAULT_SESSION_CACHE_SIZE,
      maxSize: options.maxBytes ?? DEFAULT_SESSION_CACHE_MAX_BYTES,
      sizeCalculation: (session, digest) => cachedSessionBytes(digest, session),
      // Least recently used entries leave silently; the user index must forget them too.
      dispose: (value, digest) => this.unindex(value.user.id, digest),
    });
  }

  /** Entries held now (never more than the configured size). */
  get size(): number {
    return this.entries.size;
  }

  /** Estimated heap bytes of the entries held now (never more than `maxBytes`). */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  /** True while the channel's last confirmation is fresh and nothing is pending a clear. */
  get trusted(): boolean {
    return !this.mustClear && monotonicNow() < this.trustedUntil;
  }

  /** The cached session for a digest, when the cache may answer; `undefined` means "ask the database". */
  get(digest: string): CachedSession | undefined {
    if (!this.trusted) return undefined;
    const entry = this.entries.get(digest);
    if (entry) this.stats.hits += 1;
    else this.stats.misses += 1;
    return entry;
  }

  /** Taken before reading the database; give it back to {@link set}. */
  ticket(): number {
    return this.epoch;
  }

  /** Stores a session read from the database, unless a change arrived since `ticket` or the channel is unsure. */
  set(ticket: number, digest: string, session: CachedSession): void {
    if (ticket !== this.epoch || !this.trusted) return;
    Object.freeze(session.user);
    // The cache keeps its own compact copy (src/core/compact-user.ts): same fields, less heap.
    const entry = new CacheEntry(
      compactUser(session.user),
      session.expiresAt,
      session.lastUsedAt,
      session.grant === undefined ? undefined : Object.freeze(session.grant),
    );
    this.entries.set(digest, entry);
    const id = session.user.id;
    const digests = this.byUser.get(id);
    if (digests === undefined) this.byUser.set(id, digest);
    else if (typeof digests === 'string') {
      if (digests !== digest) this.byUser.set(id, new Set([digests, digest]));
    } else digests.add(digest);
  }

  /** Records that `last_used_at` was written for a cached session. */
  touched(digest: string, at: number): void {
    const entry = this.entries.peek(digest);
    if (entry) entry.lastUsedAt = at;
  }

  evict(change: SessionChange): void {
    this.epoch += 1;
    for (const digest of change.digests ?? []) {
      if (this.entries.delete(digest)) this.stats.evictions += 1;
    }
    for (const userId of change.userIds ?? []) {
      const digests = this.byUser.get(userId);
      for (const digest of typeof digests === 'string' ? [digests] : [...(digests ?? [])]) {
        if (this.entries.delete(digest)) this.stats.evictions += 1;
      }
    }
  }

  confirm(at: number): void {
    if (this.mustClear) {
      this.clear();
      this.mustClear = false;
    }
    this.trustedUntil = Math.max(this.trustedUntil, at + SESSION_CACHE_LEASE_MS);
  }

  lost(): void {
    this.epoch += 1;
    this.mustClear = true;
    this.trustedUntil = 0;
  }

  /** Trusted for good: for a database no other process can open (`sqlite::memory:`). */
  trustForever(): void {
    this.mustClear = false;
    this.trustedUntil = Number.POSITIVE_INFINITY;
  }

  /** Empties the cache (and refuses reads in flight). */
  clear(): void {
    this.epoch += 1;
    this.stats.clears += 1;
    this.entries.clear();
    this.byUser.clear();
  }

  private unindex(userId: number, digest: string): void {
    const digests = this.byUser.get(userId);
    if (digests === undefined) return;
    if (typeof digests === 'string') {
      if (digests === digest) this.byUser.delete(userId);
      return;
    }
    digests.delete(digest);
    if (digests.size === 0) this.byUser.delete(userId);
  }
}
