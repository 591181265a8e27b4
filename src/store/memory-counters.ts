import type { CounterStore } from './types.js';

/** Keys kept at most by a {@link MemoryCounterStore} before the oldest are evicted. */
export const DEFAULT_MEMORY_COUNTER_KEYS = 100_000;

export interface MemoryCounterStoreOptions {
  /** Keys kept at most; when full, expired keys are swept and then the oldest evicted; default 100 000. */
  maxKeys?: number;
  /** The clock in milliseconds, injectable for tests; default `Date.now`. */
  now?: () => number;
}

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * {@link CounterStore} in this process's memory: right for one instance, wrong for several (each
 * would count on its own; use the Redis store then). Expiry is by timestamp, checked on read, so
 * no timers run. Size is bounded so a flood of distinct keys (e.g. spoofed emails) cannot exhaust
 * memory; evicting the oldest window first is the usual LRU trade-off of in-memory rate limiters.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: MemoryCounterStoreOptions = {}) {
    this.maxKeys = Math.max(1, options.maxKeys ?? DEFAULT_MEMORY_COUNTER_KEYS);
    this.now = options.now ?? Date.now;
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
    this.entries.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxKeys) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // Map iteration is insertion order, so the first keys are the oldest windows.
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

function secondsLeft(entry: Entry, now: number): number {
  return Math.max(0, Math.ceil((entry.expiresAt - now) / 1000));
}
