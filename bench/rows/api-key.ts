import BetterSqlite3 from 'better-sqlite3';
import { alternate, BASE_SEED, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import type { RequestSpec } from '../lib/load.js';
import { startServer } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { benchToken } from '../lib/seed.js';
import { median } from '../lib/stats.js';
import { digestToken } from '../../src/core/token.js';

const DAY_MS = 86_400_000;

/** Key number `i`: deterministic, shaped as ours (`fu_<8 hex>_<43 base64url>`, docs/api-keys.md). */
function benchKey(i: number): string {
  return `fu_${(i >>> 0).toString(16).padStart(8, '0')}_${benchToken(1_000_000_000 + i)}`;
}

/**
 * Gives the users of the base seed's bearer pool one API key each (no scopes), written straight
 * into the file as the seed's tokens are, and returns the keys in the pool's order.
 */
function seedKeys(path: string, pool: number): string[] {
  const { users, tokens } = BASE_SEED;
  const n = Math.min(tokens, pool);
  const step = tokens / n;
  const db = new BetterSqlite3(path);
  const now = new Date();
  const insert = db.prepare(
    "insert into api_keys (user_id, org_id, name, prefix, digest, scopes, expires_at, last_used_at, created_at, revoked) values (?, null, 'bench', ?, ?, '[]', ?, null, ?, 0)",
  );
  const keys: string[] = [];
  try {
    db.transaction(() => {
      for (let k = 0; k < n; k++) {
        // The same user as the pool's k-th token (token i belongs to user 2 + i % users, bench/lib/seed.ts).
        const user = 2 + (Math.floor(k * step) % users);
        const key = benchKey(k);
        insert.run(user, key.slice(0, 11), digestToken(key), new Date(now.getTime() + 30 * DAY_MS).toISOString(), now.toISOString());
        keys.push(key);
      }
    })();
  } finally {
    db.close();
  }
  return keys;
}

/**
 * Row 14: `GET /users/me` with an API key against the same with a first-party bearer token, on one
 * server (the standalone server on SQLite), in alternating rounds: a key is resolved through the
 * guard's credential resolver on the same session cache, so it should cost about what a session costs.
 */
export async function apiKeyRow(ctx: BenchContext): Promise<RowReport> {
  const path = await ctx.seededSqlite('api-keys');
  const keys = seedKeys(path, ctx.config.pool);
  const server = await ctx.server('api-keys', async () =>
    startServer({
      name: 'ours-api-keys',
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${path}` },
    }),
  );
  const sessions = bearerRequests(ctx.bearerPool());
  const bearerKeys = bearerRequests(keys);
  const headerKeys: RequestSpec[] = keys.map((key) => ({ path: '/users/me', headers: { 'x-api-key': key } }));
  for (const spec of [sessions[0]!, bearerKeys[0]!, headerKeys[0]!]) await expectOk(server, spec);
  const samples = await alternate(
    ctx.config.rounds,
    {
      session: async () => (await ctx.drive(server, sessions)).rps,
      bearerKey: async () => (await ctx.drive(server, bearerKeys)).rps,
      headerKey: async () => (await ctx.drive(server, headerKeys)).rps,
    },
    ctx.config.warmup,
  );
  const [s, b, h] = [median(samples.session!), median(samples.bearerKey!), median(samples.headerKey!)];
  return {
    id: 14,
    title: 'API keys',
    metrics: [
      { label: 'GET /users/me, first-party bearer token', value: s, unit: 'req/s' },
      { label: 'GET /users/me, API key as Authorization: Bearer', value: b, unit: 'req/s' },
      { label: 'GET /users/me, API key as X-API-Key', value: h, unit: 'req/s' },
    ],
    checks: [
      { label: 'API key (Bearer) / first-party bearer token', value: b / s, unit: 'x', target: { op: '>=', value: 0.95 } },
      { label: 'API key (X-API-Key) / first-party bearer token', value: h / s, unit: 'x', target: { op: '>=', value: 0.95 } },
    ],
    notes: [
      `${keys.length} keys (one per user of the bearer pool, no scopes) and as many session tokens, on one server and one session cache, measured in alternating rounds.`,
      'a key is resolved by the guard’s api_key resolver (src/features/api-keys) after the first-party lookup declines it; docs/api-keys.md.',
    ],
  };
}
