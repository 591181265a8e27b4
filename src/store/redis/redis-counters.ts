import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { CounterStoreFullError, type CounterStore } from '../../core/store.js';
import { StoreUnavailableError } from '../unavailable.js';
import { DEFAULT_REDIS_KEY_PREFIX } from './defaults.js';

export { DEFAULT_REDIS_KEY_PREFIX };

export interface RedisCounterStoreOptions {
  /** Prepended to every key; default `fastify-users:`. */
  keyPrefix?: string;
  /** Called on connection errors (the client keeps reconnecting); default: ignored. */
  onError?: (error: Error) => void;
}

/**
 * INCR, and set the window's expiry when the key is new (or somehow lost its TTL), then read the
 * TTL: one script, so concurrent increments from many instances neither lose counts nor leave a
 * counter without expiry (a crash between INCR and EXPIRE would, outside a script).
 */
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('PTTL', KEYS[1])}
`;

/**
 * Seconds a client is told to wait when Redis is out of memory: Redis does not say when memory
 * frees, so a minute, the memory store's sweep interval.
 */
export const REDIS_FULL_RETRY_AFTER_SECONDS = 60;

/** DECR only a live counter above zero, so a refund never creates a key without expiry. */
const DECREMENT_SCRIPT = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
`;

/**
 * {@link CounterStore} on Redis, shared by every instance of the service. Calls fail fast while
 * Redis is away (no offline queue, one retry) with a {@link StoreUnavailableError}, which the
 * HTTP layer answers with 503: throttles fail closed rather than stop counting (OWASP
 * Authentication CS, "fail securely"). The client reconnects by itself when Redis returns.
 */
export class RedisCounterStore implements CounterStore {
  readonly client: Redis;
  private readonly prefix: string;
  private readonly ownsClient: boolean;

  /** Uses an existing client (the caller closes it) or connects to `url` (closed by {@link close}). */
  constructor(client: Redis | string, options: RedisCounterStoreOptions = {}) {
    this.prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.ownsClient = typeof client === 'string';
    this.client = typeof client === 'string' ? new Redis(client, redisOptions()) : client;
    // EVALSHA with the cached script (ioredis falls back to EVAL once if Redis lost its cache).
    this.client.defineCommand('fastifyUsersIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    this.client.defineCommand('fastifyUsersDecrement', { numberOfKeys: 1, lua: DECREMENT_SCRIPT });
    // Without a listener, ioredis prints every failed reconnection; the owner decides what to log.
    this.client.on('error', (error: Error) => options.onError?.(error));
  }

  /** Resolves when the connection is ready, or after `timeoutMs` (the client keeps trying). */
  async waitUntilReady(timeoutMs = 3000): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  async increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const windowMs = Math.max(1, Math.round(windowSeconds * 1000));
    const client = this.client as Redis & { fastifyUsersIncrement(key: string, windowMs: number): Promise<[number, number]> };
    const [count, ttlMs] = await this.call(() => client.fastifyUsersIncrement(this.prefix + key, windowMs));
    return { count, ttlSeconds: Math.max(0, Math.ceil(ttlMs / 1000)) };
  }

  async get(key: string): Promise<{ count: number; ttlSeconds: number }> {
    const fullKey = this.prefix + key;
    const results = await this.call(() => this.client.multi().get(fullKey).pttl(fullKey).exec());
    const value = results?.[0]?.[1] as string | null | undefined;
    const ttlMs = Number(results?.[1]?.[1] ?? -2);
    if (value === null || value === undefined) return { count: 0, ttlSeconds: 0 };
    return { count: Number(value), ttlSeconds: Math.max(0, Math.ceil(ttlMs / 1000)) };
  }

  async reset(key: string): Promise<void> {
    await this.call(() => this.client.del(this.prefix + key));
  }

  async decrement(key: string): Promise<void> {
    const client = this.client as Redis & { fastifyUsersDecrement(key: string): Promise<number> };
    await this.call(() => client.fastifyUsersDecrement(this.prefix + key));
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    // quit() waits for Redis to answer; while it is away that would never come, so disconnect.
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  /**
   * Runs a command. Redis out of memory (under `maxmemory-policy noeviction`, the policy that never
   * drops a live counter: docs/security-throttling.md) is a full store; any other reply error is a
   * bug; anything else means Redis is unreachable.
   */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (error instanceof ReplyError && /^OOM\b/.test((error as Error).message)) throw new CounterStoreFullError(REDIS_FULL_RETRY_AFTER_SECONDS);
      if (error instanceof ReplyError) throw error;
      throw new StoreUnavailableError('counters', error);
    }
  }
}

/**
 * Fail fast instead of queueing while disconnected, so a request waits milliseconds, not until
 * Redis returns; reconnect forever with a capped backoff.
 */
function redisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
}
