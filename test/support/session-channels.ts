import type { SessionChange, SessionChangeSink } from '../../src/core/session-cache.js';
import type { SessionChannel } from '../../src/store/session-channel.js';

/**
 * A session channel passed through unchanged, whose confirmations a test can wait for. A channel
 * confirms "every change committed before `at` has been delivered" (docs/session-cache.md, "the
 * lease"); waiting for a confirmation of a time after a change is therefore waiting for the
 * notice itself, however long it takes, instead of sleeping for a guess.
 */
export class WatchedChannel implements SessionChannel {
  private readonly inner: SessionChannel;
  private confirmed = Number.NEGATIVE_INFINITY;
  private waiters: { since: number; resolve: () => void }[] = [];

  constructor(inner: SessionChannel) {
    this.inner = inner;
  }

  start(sink: SessionChangeSink): Promise<void> {
    return this.inner.start({
      evict: (change) => sink.evict(change),
      lost: () => sink.lost(),
      confirm: (at) => {
        sink.confirm(at);
        this.confirmed = Math.max(this.confirmed, at);
        const ready = this.waiters.filter((w) => w.since <= this.confirmed);
        this.waiters = this.waiters.filter((w) => w.since > this.confirmed);
        for (const w of ready) w.resolve();
      },
    });
  }

  publish(change: SessionChange): void {
    this.inner.publish?.(change);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Resolves once the channel has confirmed a time at or after `since` (a `monotonicNow()`
   * reading): every change committed before `since` has then reached the cache. Rejects after
   * `timeoutMs`, naming `what`.
   */
  caughtUp(since: number, what: string, timeoutMs = 10_000): Promise<void> {
    if (this.confirmed >= since) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${what}: no confirmation from the session channel within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        since,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
}
