/**
 * Defaults of the Redis store, in a module of their own so configuration can name them without
 * loading `ioredis` (start-up time on the SQLite default, where Redis is not used).
 */

/** Prefix of every key the service writes, so one Redis can be shared with other apps. */
export const DEFAULT_REDIS_KEY_PREFIX = 'fastify-users:';
