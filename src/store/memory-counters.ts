import { CounterStoreFullError, type CounterStore } from '../core/store.js';

/** Keys a {@link MemoryCounterStore} holds at most; a new key beyond them is refused. */
export const DEFAULT_MEMORY_COUNTER_KEYS = 100_000;
/** Seconds between two sweeps of expired keys. */
export const DEFAULT_MEMORY_COUNTER_SWEEP_SECONDS = 60;

export interface MemoryCounterStoreOptions {
  /** Keys held at most; when full, a new key is refused until one expires; default 100 000. */
  maxKeys?: number;
  /** Seconds between sweeps of expired keys, on an unref'd timer; 0 disables; default 60. */
  sweepIntervalSeconds?: number;
  /** The clock in milliseconds, injectable for tests; default `Date.now`. */
  now?: () => number;
}

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * {@link CounterStore} in this process's memory: right for one instance, wrong for several (each
 * would count on its own; use the Redis store then). Expiry is by timestamp, checked on read.
 *
 * Size is bounded so a flood of distinct keys cannot exhaust memory, and a full store refuses new
 * keys ({@link CounterStoreFullError}, which the throttle answers with 429) instead of evicting:
 * evicting live counters would let one client wipe a victim's lock-out, or its own, by flooding
 * the store with fresh identifiers (OWASP Authentication CS: a throttle must not be bypassable).
 * Expired keys go on a timer, not on insert, so an insert stays O(1) when the store is full
 * (docs/security-throttling.md).
 */
export class MemoryCounterStore implements CounterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MEMORY_COUNTER_KEYS);
    this.now = options.now ?? Date.now;
    const sweepSeconds = options.sweepIntervalSeconds ?? DEFAULT_MEMORY_COUNTER_SWEEP_SECONDS;
    if (sweepSeconds > 0) {
      this.sweeper = setInterval(() => this.sweep(), sweepSeconds * 1000);
      // Housekeeping only: it must not keep a process alive that has nothing else to do.
      this.sweeper.unref();
    }
  }

  /** Keys currently held (expired ones included until swept); for tests and metrics. */
  get size(): number {
    return this.entries.size;
  }

  async increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const now = this.now();
    let entry = this.live(key, now);
    if (!entry) {
      this.makeRoom(now);
      entry = { count: 0, expiresAt: now + windowSeconds * 1000 };
      this.entries.set(key, entry);
    }
    entry.count += 1;
    return { count: entry.count, ttlSeconds: secondsLeft(entry, now) };
  }

  async get(key: string): Promise<{ count: number; ttlSeconds: number }> {
    const now = this.now();
    const entry = this.live(key, now);
    return entry ? { count: entry.count, ttlSeconds: secondsLeft(entry, now) } : { count: 0, ttlSeconds: 0 };
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async decrement(key: string): Promise<void> {
    const entry = this.live(key, this.now());
    if (entry && entry.count > 0) entry.count -= 1;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  /** Deletes every expired key and returns how many went; the timer calls it, tests may too. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) continue;
      this.entries.delete(key);
      removed += 1;
    }
    return removed;
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Room for one more key, or a {@link CounterStoreFullError}. Expired keys at the front (the
   * oldest inserts) are taken on the way — each is removed once, so this is O(1) amortised —
   * and the rest wait for {@link sweep}. A live key is never removed.
   */
  private makeRoom(now: number): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) {
        // The oldest live key: when its window ends, its slot frees at the latest.
        throw new CounterStoreFullError(secondsLeft(entry, now));
      }
      this.entries.delete(key);
      if (this.entries.size < this.maxKeys) return;
    }
  }
}

function secondsLeft(entry: Entry, now: number): number {
  return Math.max(0, Math.ceil((entry.expiresAt - now) / 1000));
}
