import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { SessionChange, SessionChangeSink } from '../../src/core/session-cache.js';
import { RedisSessionChannel } from '../../src/store/redis/redis-session-channel.js';
import { uniqueKeyPrefix } from '../support/redis.js';
import { redis } from '../support/services.js';
import { eventually } from '../support/session-cache.js';

const redisService = redis();

/** What a channel told its cache. */
class RecordingSink implements SessionChangeSink {
  evictions: SessionChange[] = [];
  losses = 0;
  confirms = 0;
  evict(change: SessionChange): void {
    this.evictions.push(change);
  }
  confirm(): void {
    this.confirms += 1;
  }
  lost(): void {
    this.losses += 1;
  }
  evictedDigests(): string[] {
    return this.evictions.flatMap((c) => [...(c.digests ?? [])]);
  }
}

/**
 * A TCP relay in front of the real Redis that the test can cut: every connection through it drops
 * and new ones are refused until it is restored — a network fault between one instance and Redis,
 * while the other instances keep their own connections.
 */
async function faultyRelay(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const digest = (i: number) => i.toString(16).padStart(64, '0');

describe('Redis session channel: a publisher cut off from Redis holds a bounded backlog and owes nothing it forgot', { skip: redisService.skip }, () => {
  const prefix = uniqueKeyPrefix('publisher');
  let relay: Awaited<ReturnType<typeof faultyRelay>>;
  let a: RedisSessionChannel;
  let b: RedisSessionChannel;
  const seenByA = new RecordingSink();
  const seenByB = new RecordingSink();

  before(async () => {
    relay = await faultyRelay(new URL(redisService.value!));
    // A reaches Redis only through the relay; B directly, so B stays subscribed and trusting.
    a = new RedisSessionChannel(relay.url, { keyPrefix: prefix, connectionName: `${prefix}a`, heartbeatMs: 50, backlogLimit: 5 });
    b = new RedisSessionChannel(redisService.value!, { keyPrefix: prefix, connectionName: `${prefix}b`, heartbeatMs: 50 });
    await a.start(seenByA);
    await b.start(seenByB);
    await eventually(() => seenByA.confirms > 0 && seenByB.confirms > 0, 'both subscribed');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await relay?.close();
  });

  const cutOff = async () => {
    const losses = seenByA.losses;
    relay.cut();
    // A's own cache is in "read the database" mode from here on: its subscriber reported the loss.
    await eventually(() => seenByA.losses > losses, "A's subscriber reports the loss");
    // The publisher's connection closes on its own event, which may come a moment later: until
    // then a change is still written to it (and resent by the client once Redis is back).
    await eventually(() => !a.publishing, "A's publisher knows it is cut off");
  };

  test('changes published while cut off are held, merged, and reach the other instance once Redis is back', async () => {
    await cutOff();
    for (let i = 1; i <= 3; i++) a.publish({ digests: [digest(i)] });
    a.publish({ digests: [digest(1)], userIds: [42] });
    assert.equal(a.backlog, 4, 'three digests and one user, each once');
    const before = seenByB.evictions.length;
    relay.restore();
    await eventually(() => seenByB.evictedDigests().includes(digest(3)), 'B hears the held changes');
    const arrived = seenByB.evictions.slice(before);
    assert.equal(arrived.length, 1, 'one notice for the whole backlog');
    assert.deepEqual([...arrived[0]!.digests!].sort(), [digest(1), digest(2), digest(3)]);
    assert.deepEqual(arrived[0]!.userIds, [42]);
    assert.equal(a.backlog, 0);
  });

  test('past the bound, the backlog collapses into "everything": the other instance empties its cache', async () => {
    await eventually(() => seenByA.confirms > 0 && a.publishing && a.backlog === 0, 'A back');
    await cutOff();
    for (let i = 100; i < 140; i++) a.publish({ digests: [digest(i)] });
    assert.equal(a.backlog, Infinity, 'no more than the bound is held');
    const evictionsBefore = seenByB.evictions.length;
    const lossesBefore = seenByB.losses;
    relay.restore();
    await eventually(() => seenByB.losses > lossesBefore, 'B drops its whole cache');
    assert.equal(seenByB.evictions.length, evictionsBefore, 'not forty notices one by one');
    assert.equal(a.backlog, 0);
  });
});
