import { Redis } from 'ioredis';
import { monotonicNow, type SessionChange, type SessionChangeSink } from '../../core/session-cache.js';
import { SESSION_CHANNEL_HEARTBEAT_MS, type SessionChannel } from '../session-channel.js';
import { DEFAULT_REDIS_KEY_PREFIX } from './defaults.js';

/** Client name of the subscribing connection (`CLIENT LIST`), for operators and fault tests. */
export const SESSION_SUBSCRIBER_NAME = 'fastify-users-sessions';

/**
 * Changes held while the publishing connection is down, at most (digests and user ids counted
 * together). Past it they collapse into one notice that names everything, so memory stays
 * bounded however long Redis is away, and nothing is forgotten: every instance empties its cache.
 */
export const PUBLISH_BACKLOG_LIMIT = 1000;

/**
 * The notice that names every session: receivers drop their whole cache. An older instance
 * cannot read it, and an unreadable notice does the same there.
 */
const EVERYTHING = '"*"';

export interface RedisSessionChannelOptions {
  /** Prefix of the pub/sub channel, as of every key; default `fastify-users:`. */
  keyPrefix?: string;
  /** Called on connection errors (both clients keep reconnecting); default: ignored. */
  onError?: (error: Error) => void;
  heartbeatMs?: number;
  /** Client name of the subscribing connection; default `fastify-users-sessions` (the publisher's adds `-publisher`). */
  connectionName?: string;
  /** Changes held while the publisher is down before they collapse into "everything"; default {@link PUBLISH_BACKLOG_LIMIT}. */
  backlogLimit?: number;
}

/**
 * Session changes on Redis pub/sub, for deployments that set `REDIS_URL`
 * (docs/session-cache.md). Every instance publishes the changes its own writes make (the store
 * wrapper calls {@link publish}) and subscribes to everyone's. A `PING` on the subscribing
 * connection confirms it: Redis answers a client's commands in order, after any message
 * published before it, so a PONG to a PING sent at T means every notice published before T has
 * arrived. While the subscriber is disconnected the cache is bypassed; it starts empty once the
 * subscription is back.
 */
export class RedisSessionChannel implements SessionChannel {
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private readonly channel: string;
  private readonly heartbeatMs: number;
  private sink: SessionChangeSink | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private subscribed = false;
  /** Bumped at every loss: a PONG or SUBSCRIBE answer from before it confirms nothing. */
  private generation = 0;
  private beating = false;
  /** Publishes not yet answered: {@link close} waits for them (the CLI publishes, then exits). */
  private readonly pending = new Set<Promise<unknown>>();
  /** Changes not yet published because the publisher is down, sent as one notice when it is back. */
  private readonly heldDigests = new Set<string>();
  private readonly heldUserIds = new Set<number>();
  /** More was held than {@link PUBLISH_BACKLOG_LIMIT}: "everything" is owed instead. */
  private heldEverything = false;
  private readonly backlogLimit: number;

  constructor(url: string, options: RedisSessionChannelOptions = {}) {
    this.channel = `${options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX}sessions`;
    this.heartbeatMs = options.heartbeatMs ?? SESSION_CHANNEL_HEARTBEAT_MS;
    const retryStrategy = (times: number) => Math.min(times * 50, 2000);
    // Subscribed again by hand on every connection (below), so that we know when it is in place.
    this.subscriber = new Redis(url, {
      connectionName: options.connectionName ?? SESSION_SUBSCRIBER_NAME,
      autoResubscribe: false,
      retryStrategy,
      lazyConnect: true,
    });
    // No offline queue and no retries inside ioredis: its queue grows without bound while Redis is
    // away. A publish that cannot go now is held here instead, merged and bounded, and sent when
    // the publisher is ready again (docs/session-cache.md, "Channels").
    this.backlogLimit = options.backlogLimit ?? PUBLISH_BACKLOG_LIMIT;
    const publisherName = `${options.connectionName ?? SESSION_SUBSCRIBER_NAME}-publisher`;
    this.publisher = new Redis(url, { connectionName: publisherName, retryStrategy, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    this.publisher.on('ready', () => this.publishHeld());
    for (const client of [this.subscriber, this.publisher]) client.on('error', (error: Error) => options.onError?.(error));
  }

  async start(sink: SessionChangeSink): Promise<void> {
    this.sink = sink;
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    this.subscriber.on('ready', () => void this.subscribe());
    for (const event of ['close', 'reconnecting', 'end']) {
      this.subscriber.on(event, () => {
        this.subscribed = false;
        this.generation += 1;
        this.sink?.lost();
      });
    }
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    await Promise.all([this.subscriber.connect(), this.publisher.connect()]).catch(() => {});
  }

  publish(change: SessionChange): void {
    if (this.publisher.status !== 'ready' || this.heldEverything || this.heldDigests.size + this.heldUserIds.size > 0) {
      this.hold(change);
      // A publish-only user (the CLI) never calls start(): the first change connects the publisher.
      if (this.publisher.status === 'wait') this.publisher.connect().catch(() => {});
      return;
    }
    this.send(change);
  }

  /** Whether a change published now goes to Redis at once (the publisher's connection is ready), for tests and metrics. */
  get publishing(): boolean {
    return this.publisher.status === 'ready';
  }

  /** Changes held while the publisher is down (0 when nothing is owed, `Infinity` when "everything" is), for tests and metrics. */
  get backlog(): number {
    return this.heldEverything ? Infinity : this.heldDigests.size + this.heldUserIds.size;
  }

  private send(change: SessionChange | 'everything'): void {
    const message = change === 'everything' ? EVERYTHING : JSON.stringify({ d: change.digests ?? [], u: change.userIds ?? [] });
    const sent = this.publisher
      .publish(this.channel, message)
      // Not sent, or not known to be: held again, and sent (once more, harmlessly) when the publisher is back.
      .catch(() => this.hold(change))
      .finally(() => this.pending.delete(sent));
    this.pending.add(sent);
  }

  private hold(change: SessionChange | 'everything'): void {
    if (this.heldEverything) return;
    if (change !== 'everything') {
      for (const digest of change.digests ?? []) this.heldDigests.add(digest);
      for (const userId of change.userIds ?? []) this.heldUserIds.add(userId);
    }
    if (change === 'everything' || this.heldDigests.size + this.heldUserIds.size > this.backlogLimit) {
      this.heldEverything = true;
      this.heldDigests.clear();
      this.heldUserIds.clear();
    }
  }

  /** Sends what was held, as one notice, once the publisher is ready again. */
  private publishHeld(): void {
    if (this.heldEverything) {
      this.heldEverything = false;
      this.send('everything');
      return;
    }
    if (this.heldDigests.size + this.heldUserIds.size === 0) return;
    const change = { digests: [...this.heldDigests], userIds: [...this.heldUserIds] };
    this.heldDigests.clear();
    this.heldUserIds.clear();
    this.send(change);
  }

  private async subscribe(): Promise<void> {
    const at = monotonicNow();
    const generation = this.generation;
    try {
      await this.subscriber.subscribe(this.channel);
      if (generation !== this.generation) return;
      this.subscribed = true;
      this.sink?.confirm(at);
    } catch {
      // The connection went again; 'ready' comes back with it.
    }
  }

  private receive(message: string): void {
    if (message === EVERYTHING) {
      this.sink?.lost();
      this.sink?.confirm(monotonicNow());
      return;
    }
    try {
      const { d, u } = JSON.parse(message) as { d: unknown; u: unknown };
      if (Array.isArray(d) && Array.isArray(u) && d.every((x) => typeof x === 'string') && u.every(Number.isSafeInteger)) {
        this.sink?.evict({ digests: d as string[], userIds: u as number[] });
        return;
      }
    } catch {
      // fall through: a notice we cannot read may have named anything
    }
    this.sink?.lost();
    this.sink?.confirm(monotonicNow());
  }

  private async beat(): Promise<void> {
    if (!this.subscribed || this.beating) return;
    this.beating = true;
    const at = monotonicNow();
    const generation = this.generation;
    try {
      await this.subscriber.ping();
      if (this.subscribed && generation === this.generation) this.sink?.confirm(at);
    } catch {
      // 'close' reports the loss
    } finally {
      this.beating = false;
    }
  }

  /**
   * Resolves once Redis has answered every publish made so far (or after `timeoutMs`): from then
   * on, a subscriber's PONG to a later PING vouches for those notices too.
   */
  async flush(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Held changes go when the publisher is ready again; until the deadline, wait for that too.
    while ((this.pending.size > 0 || this.backlog > 0) && Date.now() < deadline) {
      const tick = new Promise((resolve) => setTimeout(resolve, 20).unref());
      await Promise.race([Promise.all(this.pending), tick]);
      if (this.pending.size === 0 && this.backlog > 0) await tick;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.sink = undefined;
    this.subscriber.disconnect();
    await this.flush();
    if (this.publisher.status === 'ready') await this.publisher.quit().catch(() => this.publisher.disconnect());
    else this.publisher.disconnect();
  }
}
