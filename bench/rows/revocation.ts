import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { BASE_SEED, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { runNode, startServer, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { benchToken, seedThroughKysely } from '../lib/seed.js';
import { quantile } from '../lib/stats.js';

const status = async (server: ServerProcess, token: string, method = 'GET', path = '/users/me') =>
  (await fetch(server.url + path, { method, headers: { authorization: `Bearer ${token}` } })).status;

/**
 * Row 8: sessions in memory (docs/session-cache.md). Two server processes on one PostgreSQL
 * database: a session answered by B from memory is logged out on A, and B is polled (no pause)
 * until it refuses; the time from A's answer to B's first refusal is the revocation delay. The
 * same instance must refuse the very next request. Then the memory cost: a server on SQLite with
 * 100k sessions answered once each (all cached), against the same with SESSION_CACHE=off.
 */
export async function revocationRow(ctx: BenchContext): Promise<RowReport> {
  const iterations = ctx.config.mode === 'full' ? 200 : ctx.config.mode === 'quick' ? 50 : 10;
  const metrics: RowReport['metrics'] = [];
  const checks: RowReport['checks'] = [];
  const notes: string[] = [];
  const admin = new pg.Client({ connectionString: ctx.config.postgresUrl, connectionTimeoutMillis: 3000 });
  let reachable = true;
  try {
    await admin.connect();
  } catch (error) {
    reachable = false;
    notes.push(`cross-instance part skipped: PostgreSQL at ${ctx.config.postgresUrl} is not reachable (${(error as Error).message}).`);
  }
  if (reachable) {
    const name = `bench_${randomBytes(6).toString('hex')}`;
    await admin.query(`create database ${name}`);
    const url = new URL(ctx.config.postgresUrl);
    url.pathname = `/${name}`;
    const servers: ServerProcess[] = [];
    try {
      await seedThroughKysely(url.toString(), { ...BASE_SEED, hashedPassword: await ctx.hashedPassword() });
      const start = (label: string) =>
        startServer({ name: label, command: process.execPath, args: tsxArgs('src/cli.ts', 'serve'), env: { ...OUR_ENV, DATABASE_URL: url.toString() } });
      const [a, b] = await Promise.all([start('ours-postgres-a'), start('ours-postgres-b')]);
      servers.push(a, b);
      const delays: number[] = [];
      let polls = 0;
      let staleOnA = 0;
      for (let i = 0; i < iterations; i += 1) {
        const token = benchToken(i);
        await expectOk(b, bearerRequests([token])[0]!);
        await expectOk(b, bearerRequests([token])[0]!);
        if ((await status(a, token, 'POST', '/logout')) !== 204) throw new Error('logout on A failed');
        const loggedOut = performance.now();
        if ((await status(a, token)) !== 401) staleOnA += 1;
        for (;;) {
          polls += 1;
          if ((await status(b, token)) === 401) break;
          if (performance.now() - loggedOut > 10_000) throw new Error('B still answers a session logged out 10 s ago');
        }
        delays.push(performance.now() - loggedOut);
      }
      metrics.push(
        { label: 'cross-instance revocation delay, p50 (log out on A, poll B)', value: quantile(delays, 0.5), unit: 'ms' },
        { label: 'cross-instance revocation delay, max', value: Math.max(...delays), unit: 'ms' },
        { label: 'requests B answered 200 after the logout, per logout', value: polls / iterations - 1, unit: 'requests' },
      );
      checks.push(
        { label: 'cross-instance revocation delay, max', value: Math.max(...delays), unit: 'ms', target: { op: '<=', value: 1000 } },
        { label: 'same instance: requests answered after its own logout', value: staleOnA, unit: 'requests', target: { op: '<=', value: 0 } },
      );
      notes.push(
        `${iterations} sessions, each answered twice by B (so from its memory), logged out on A; B polled back to back until 401. ` +
          "The delay runs to the answer of the first refused poll, so it includes that request's own time on a loaded machine: " +
          'when B answered no 200 after the logout, B knew before the first poll arrived (PostgreSQL LISTEN/NOTIFY, docs/session-cache.md).',
      );
    } finally {
      await Promise.allSettled(servers.map((s) => s.stop()));
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end();
    }
  }

  // Memory: 100k sessions in the cache of one instance, against the same without the cache.
  const sessions = ctx.config.mode === 'smoke' ? 2000 : 100_000;
  const plan = { users: Math.max(1, sessions / 10), tokens: sessions };
  const rss: Record<string, number> = {};
  for (const cache of ['on', 'off']) {
    const server = await startServer({
      name: `ours-rss-cache-${cache}`,
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, SESSION_CACHE: cache, DATABASE_URL: `sqlite:${await ctx.seededSqlite(`rss-${cache}`, plan)}` },
    });
    try {
      let next = 0;
      const worker = async () => {
        while (next < sessions) {
          const token = benchToken(next++);
          if ((await status(server, token)) !== 200) throw new Error(`session ${next - 1} refused`);
        }
      };
      await Promise.all(Array.from({ length: 10 }, worker));
      rss[cache] = server.rssMiB();
    } finally {
      await server.stop();
    }
  }
  metrics.push(
    { label: `server RSS with ${sessions.toLocaleString('en')} sessions answered, cache on (all cached)`, value: rss.on!, unit: 'MiB' },
    { label: `server RSS with ${sessions.toLocaleString('en')} sessions answered, SESSION_CACHE=off`, value: rss.off!, unit: 'MiB' },
  );
  checks.push({ label: `memory of ${sessions.toLocaleString('en')} cached sessions (RSS on − off)`, value: rss.on! - rss.off!, unit: 'MiB' });
  // The cache's own heap, in process after a full GC (bench/memory-session.ts): RSS above also
  // holds the pages SQLite and V8 keep for the reads that filled it.
  const heap = await runNode(['bench/memory-session.ts', String(sessions)], { NODE_OPTIONS: '--expose-gc' });
  const perSession = Number(/: (\d+) bytes of heap per cached session/.exec(heap)?.[1]);
  checks.push({
    label: `heap per cached session, in process after a full GC, at ${sessions.toLocaleString('en')}`,
    value: perSession,
    unit: 'bytes',
    target: { op: '<=', value: 512 },
  });
  notes.push(
    'heap per cached session: bench/memory-session.ts in its own process (`--expose-gc`), one session per user read through the SQL store into a SessionCache; target 0.5 KB (512 bytes).',
  );
  return { id: 8, title: 'Sessions in memory: revocation and memory', metrics, checks, notes };
}
