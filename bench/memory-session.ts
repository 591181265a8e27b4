// Heap per cached session: seeds a SQLite file with N users and N tokens (one session each, the
// worst case for sharing), reads every session through the store as the guard does, puts it in a
// SessionCache, and compares the heap after a full GC with the heap before (sessions read but
// not cached, held in an array, are measured the same way to separate the cache's own cost).
//
//   node --expose-gc --import tsx bench/memory-session.ts [sessions = 100000]
//
// The bench (row 8) prints the same figure; `bytes per session` is what SESSION_CACHE_MAX_BYTES
// budgets with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionCache } from '../src/core/session-cache.js';
import { digestToken } from '../src/core/token.js';
import { SQLStore } from '../src/store/sql/sql-store.js';
import { benchToken, seedSqlite } from './lib/seed.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  for (let i = 0; i < 3; i += 1) gc!();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per cached session at `count` sessions, one per user. */
export async function bytesPerCachedSession(count: number): Promise<{ perSession: number; perReadSession: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-users-memory-'));
  try {
    const path = join(dir, 'auth.db');
    await seedSqlite(path, {
      users: count,
      tokens: count,
      hashedPassword: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$WVfmHUmW0Fj1nY2n5eYc0eQn8mVv0y1tS2bYVh3Vv3k',
    });
    const store = await SQLStore.open(`sqlite:${path}`);
    const now = new Date();
    // Digests made as each request makes its own: the cache's key strings are its memory too.
    const digest = (i: number) => digestToken(benchToken(i));
    const read = async (digest: string) => {
      const found = await store.findSession(digest, now);
      if (!found) throw new Error('seeded session not found');
      return found;
    };
    // One pass first: the read path's own one-time allocations (statements, compiled code) are not the sessions'.
    for (let i = 0; i < 1000; i += 1) await read(digest(i));
    // What the sessions alone take, held in an array (strings and objects as the store makes them).
    let before = heapUsed();
    let held: unknown[] | null = [];
    for (let i = 0; i < count; i += 1) held.push(await read(digest(i)));
    const perReadSession = (heapUsed() - before) / count;
    if (process.env.MEMORY_DEBUG) console.error({ before, after: heapUsed(), held: held.length });
    held = null;
    const cache = new SessionCache({ size: count });
    cache.trustForever();
    before = heapUsed();
    for (let i = 0; i < count; i += 1) {
      const key = digest(i);
      const found = await read(key);
      cache.set(cache.ticket(), key, { user: found.user, expiresAt: found.token.expiresAt.getTime(), lastUsedAt: found.token.lastUsedAt.getTime() });
    }
    const perSession = (heapUsed() - before) / count;
    if (process.env.MEMORY_DEBUG) console.error({ before, after: heapUsed() });
    if (cache.size !== count) throw new Error(`cache holds ${cache.size} of ${count}`);
    await store.close();
    return { perSession, perReadSession };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 100_000);
  const { perSession, perReadSession } = await bytesPerCachedSession(count);
  console.log(
    `${count} sessions: ${perSession.toFixed(0)} bytes of heap per cached session (a session as read from the store: ${perReadSession.toFixed(0)} bytes)`,
  );
}
