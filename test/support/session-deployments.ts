/**
 * The deployments the session cache's property runs on (test/sessions/interleavings-*.test.ts,
 * one file each, so they run side by side): two instances of the plugin on one SQLite file, on
 * one PostgreSQL database with LISTEN/NOTIFY, and on one PostgreSQL database with Redis pub/sub,
 * each with what its `sync` step waits for. Every run gets a new file or database.
 */
import { join } from 'node:path';
import { monotonicNow } from '../../src/core/session-cache.js';
import { RedisSessionChannel } from '../../src/store/redis/redis-session-channel.js';
import { PgSessionListener } from '../../src/store/sql/pg-session-listener.js';
import { SQLiteSessionWatch } from '../../src/store/sql/sqlite-session-watch.js';
import type { SessionChannel } from '../../src/store/session-channel.js';
import { buildTestApp, type TestApp, type TestAppDatabase } from './apps.js';
import { freshDatabase } from './databases.js';
import { deleteKeys, uniqueKeyPrefix } from './redis.js';
import { postgres, redis } from './services.js';
import { WatchedChannel } from './session-channels.js';
import type { TwoInstances } from './session-interleavings.js';
import { tempDir } from './temp.js';

/** Builds both apps on `at`, each with its channel; closes what was built if one fails. */
async function twoApps(at: TestAppDatabase, channels: readonly [SessionChannel, SessionChannel]): Promise<[TestApp, TestApp]> {
  const a = await buildTestApp({ sessionChannel: channels[0] }, at);
  try {
    return [a, await buildTestApp({ sessionChannel: channels[1] }, at)];
  } catch (error) {
    await a.close();
    throw error;
  }
}

/**
 * One SQLite file. The watchers' timers never fire within a run: only `sync` polls the change
 * log, so the window between a change and its notice is as long as the run makes it.
 */
export async function onSQLiteFile(): Promise<TwoInstances> {
  const dir = tempDir();
  const path = join(dir.path, 'auth.db');
  const watches = [new SQLiteSessionWatch(path, { intervalMs: 3_600_000 }), new SQLiteSessionWatch(path, { intervalMs: 3_600_000 })] as const;
  const apps = await twoApps({ path }, watches).catch((error) => {
    dir.cleanup();
    throw error;
  });
  return {
    apps,
    sync: async (on) => watches[on]!.poll(),
    close: async () => {
      for (const t of apps) await t.close();
      dir.cleanup();
    },
  };
}

/**
 * The channels' heartbeat on PostgreSQL and Redis: a `sync` step waits for the next one, so at the
 * production interval (SESSION_CHANNEL_HEARTBEAT_MS, 200 ms) the waits were most of a run's time.
 * The same heartbeat, only more often: a confirmation still vouches only for what came before it.
 */
const SYNC_HEARTBEAT_MS = 40;

/**
 * One PostgreSQL database, each instance LISTENing as in production (heartbeat included, more often). The
 * database delivers notices by itself, so the window is as short as it makes it; `sync` waits
 * until a heartbeat sent after the call has been answered, which the server answers only after
 * every notice committed before it (docs/session-cache.md, "the lease").
 */
export async function onPostgres(): Promise<TwoInstances> {
  const database = await freshDatabase(postgres().value!, 'interleavings', { migrated: true });
  const listener = () => new WatchedChannel(new PgSessionListener(database.url, { heartbeatMs: SYNC_HEARTBEAT_MS }));
  const channels = [listener(), listener()] as const;
  const apps = await twoApps({ databaseUrl: database.url }, channels).catch(async (error) => {
    await database.drop();
    throw error;
  });
  return {
    apps,
    sync: (on) => channels[on]!.caughtUp(monotonicNow(), `instance ${on}`),
    close: async () => {
      for (const t of apps) await t.close();
      await database.drop();
    },
  };
}

/**
 * One PostgreSQL database whose instances hear each other through Redis pub/sub (as with
 * `REDIS_URL` set). A notice is published after the write returns; `sync` waits until Redis has
 * answered the other instance's publishes, then for a PING sent after that to come back.
 */
export async function onPostgresWithRedis(): Promise<TwoInstances> {
  const database = await freshDatabase(postgres().value!, 'interleavings_redis', { migrated: true });
  const prefix = uniqueKeyPrefix('interleavings');
  const redisChannels = [0, 1].map(
    (side) => new RedisSessionChannel(redis().value!, { keyPrefix: prefix, connectionName: `${prefix}${side}`, heartbeatMs: SYNC_HEARTBEAT_MS }),
  );
  const channels = [new WatchedChannel(redisChannels[0]!), new WatchedChannel(redisChannels[1]!)] as const;
  const apps = await twoApps({ databaseUrl: database.url }, channels).catch(async (error) => {
    await database.drop();
    throw error;
  });
  return {
    apps,
    sync: async (on) => {
      await redisChannels[1 - on]!.flush(10_000);
      await channels[on]!.caughtUp(monotonicNow(), `instance ${on}`);
    },
    close: async () => {
      for (const t of apps) await t.close();
      await database.drop();
      await deleteKeys(redis().value!, prefix);
    },
  };
}
