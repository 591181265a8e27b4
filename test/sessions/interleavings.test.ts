import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { monotonicNow } from '../../src/core/session-cache.js';
import { RedisSessionChannel } from '../../src/store/redis/redis-session-channel.js';
import { PgSessionListener } from '../../src/store/sql/pg-session-listener.js';
import { SQLiteSessionWatch } from '../../src/store/sql/sqlite-session-watch.js';
import type { SessionChannel } from '../../src/store/session-channel.js';
import { buildTestApp, type TestApp, type TestAppDatabase } from '../support/apps.js';
import { freshDatabase } from '../support/databases.js';
import { deleteKeys, uniqueKeyPrefix } from '../support/redis.js';
import { postgres, redis } from '../support/services.js';
import { WatchedChannel } from '../support/session-channels.js';
import { checkInterleavings, type TwoInstances } from '../support/session-interleavings.js';
import { tempDir } from '../support/temp.js';

const pg = postgres();
const redisService = redis();

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
async function onSQLiteFile(): Promise<TwoInstances> {
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
 * One PostgreSQL database, each instance LISTENing as in production (heartbeat included). The
 * database delivers notices by itself, so the window is as short as it makes it; `sync` waits
 * until a heartbeat sent after the call has been answered, which the server answers only after
 * every notice committed before it (docs/session-cache.md, "the lease").
 */
async function onPostgres(): Promise<TwoInstances> {
  const database = await freshDatabase(pg.value!, 'interleavings');
  const channels = [new WatchedChannel(new PgSessionListener(database.url)), new WatchedChannel(new PgSessionListener(database.url))] as const;
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
async function onPostgresWithRedis(): Promise<TwoInstances> {
  const database = await freshDatabase(pg.value!, 'interleavings_redis');
  const prefix = uniqueKeyPrefix('interleavings');
  const redisChannels = [0, 1].map((side) => new RedisSessionChannel(redisService.value!, { keyPrefix: prefix, connectionName: `${prefix}${side}` }));
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
      await deleteKeys(redisService.value!, prefix);
    },
  };
}

/**
 * The deployments users run, each with its own number of runs (`SESSION_PROPERTY_RUNS` sets them
 * all): a run on PostgreSQL costs a database and waits for heartbeats.
 */
const DEPLOYMENTS = [
  { name: 'one SQLite file, change log read by the sync steps', skip: false, runs: 25, open: onSQLiteFile },
  { name: 'one PostgreSQL database, LISTEN/NOTIFY', skip: pg.skip, runs: 15, open: onPostgres },
  { name: 'one PostgreSQL database, Redis pub/sub', skip: pg.skip || redisService.skip, runs: 15, open: onPostgresWithRedis },
];

/**
 * Random interleavings of logins, requests, logouts, revocations and user changes on two
 * instances, each with its session cache. Every answer is compared with the database's truth:
 * always on the instance that made the last change touching the session, and on the other once
 * it has synced (test/support/session-interleavings.ts).
 */
for (const deployment of DEPLOYMENTS) {
  describe(`session cache: random interleavings across two instances agree with the database (${deployment.name})`, { skip: deployment.skip }, () => {
    test('property', async () => {
      const { runs, hits } = await checkInterleavings(deployment.open, Number(process.env.SESSION_PROPERTY_RUNS ?? deployment.runs));
      assert.ok(runs >= 1);
      assert.ok(hits > runs, `the caches answered (${hits} hits in ${runs} runs)`);
    });
  });
}
