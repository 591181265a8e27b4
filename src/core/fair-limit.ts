/**
 * A concurrency limiter that shares its slots fairly between requesters. At most `concurrency`
 * tasks run at once; the others wait in one queue per requester, and each slot that frees goes
 * to the next requester in turn (round robin), not to the oldest task. One requester with a
 * thousand queued tasks then delays another's single task by one turn of each waiting requester,
 * not by its thousand tasks (a per-client share of a shared resource, in the spirit of the
 * per-address limits of the OWASP Denial of Service Cheat Sheet). When nobody else waits, one
 * requester may use every slot.
 */
export class FairLimit {
  private readonly concurrency: number;
  private running = 0;
  /** Waiting tasks per requester; the Map's order is the order of turns. */
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive whole number');
    this.concurrency = concurrency;
  }

  /** Tasks waiting for a slot, all requesters together; for tests and metrics. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  /** Runs `task` when a slot is free and it is `requester`'s turn; resolves or rejects as the task does. */
  async run<T>(requester: string, task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running += 1;
    else await new Promise<void>((start) => this.enqueue(requester, start));
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private enqueue(requester: string, start: () => void): void {
    const queue = this.queues.get(requester);
    if (queue) queue.push(start);
    else this.queues.set(requester, [start]);
  }

  /** Hands the freed slot to the requester whose turn it is, who then goes to the back of the line. */
  private release(): void {
    const turn = this.queues.entries().next();
    if (turn.done) {
      this.running -= 1;
      return;
    }
    const [requester, queue] = turn.value;
    const start = queue.shift()!;
    this.queues.delete(requester);
    if (queue.length > 0) this.queues.set(requester, queue);
    start();
  }
}
