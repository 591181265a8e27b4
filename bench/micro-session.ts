// Micro-benchmark of the session lookup variants the hot path went through (docs/BENCHMARKS.md,
// "What each optimisation bought"): `node --import tsx bench/micro-session.ts`. Reads two private
// members of SQLStore on purpose, to time the query exactly as the store builds it.
import BetterSqlite3 from 'better-sqlite3';
import { createHash, hash } from 'node:crypto';
import { BenchContext } from './lib/context.js';
import { digestToken } from '../src/core/token.js';
import { SQLStore } from '../src/store/sql/sql-store.js';
async function main() {
  const ctx = new BenchContext({
    mode: 'quick',
    rounds: 1,
    warmup: false,
    seconds: 1,
    connections: 1,
    pool: 1000,
    scale: {} as never,
    startups: 0,
    postgresUrl: '',
  });
  const path = await ctx.seededSqlite('m');
  const store = await SQLStore.open(`sqlite:${path}`);
  const tokens = ctx.bearerPool();
  const digests = tokens.map(digestToken);
  const q = (store as any).sessionQuery;
  const reader = new BetterSqlite3(path);
  reader.pragma('query_only = ON');
  const objects = reader.prepare(q.sql);
  const raw = reader.prepare(q.sql).raw(true);
  const now = new Date().toISOString();
  const N = 20000;
  const variants: Record<string, (i: number) => unknown> = {
    'kysely builder per call': (i) => (store as any).sessionSelect(digests[i % 1000], now).executeTakeFirst(),
    'kysely compiled once': (i) => store.db.executeQuery({ ...q, parameters: [digests[i % 1000], now] }),
    'prepared, object rows': (i) => objects.get(digests[i % 1000], now),
    'prepared, raw rows': (i) => raw.get(digests[i % 1000], now),
    'createHash digest': (i) =>
      createHash('sha256')
        .update(tokens[i % 1000]!)
        .digest('hex'),
    'crypto.hash digest': (i) => hash('sha256', tokens[i % 1000]!, 'hex'),
  };
  const res: Record<string, number[]> = {};
  for (let k = 0; k < 5; k++)
    for (const [name, f] of Object.entries(variants)) {
      const t = performance.now();
      for (let i = 0; i < N; i++) await f(i);
      (res[name] ??= []).push(((performance.now() - t) * 1000) / N);
    }
  for (const [n, v] of Object.entries(res)) console.log(n.padEnd(26), v.sort((a, b) => a - b)[2]!.toFixed(1), 'µs');
  reader.close();
  await store.close();
  await ctx.close();
}
main();
