import type { CounterStore } from './types.js';

/** Keys kept at most before the oldest are dropped; bounds the memory an attacker can make us use. */
export const DEFAULT_MEMORY_COUNTERS_MAX_KEYS = 100_000;

export interface MemoryCounterStoreOptions {
  /** Milliseconds since the epoch; default `Date.now`. Injectable so tests can move time. */
  now?: () => number;
  /** Most keys kept; when full, expired keys go first, then the oldest. Default 100 000. */
  maxKeys?: number;
}

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * {@link CounterStore} in one process's memory: fixed windows that start at a key's first
 * increment and end `windowSeconds` later. Each method runs to completion without yielding, so
 * on Node's single thread an increment is atomic. Counts are per process: use the Redis store
 * when several instances serve one deployment.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? DEFAULT_MEMORY_COUNTERS_MAX_KEYS;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new RangeError('maxKeys must be a positive whole number');
  }

  /** Number of keys held (expired ones included until they are swept). */
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

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** The entry of `key` if its window is still open; an expired one is dropped. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Before a new key: sweep expired keys, then drop the oldest (Map keeps insertion order). */
  private makeRoom(now: number): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

function secondsLeft(entry: Entry, now: number): number {
  return Math.max(1, Math.ceil((entry.expiresAt - now) / 1000));
}
