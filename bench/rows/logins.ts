import { alternate, expectOk, type BenchContext } from '../lib/context.js';
import type { RequestSpec } from '../lib/load.js';
import { runNode, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { BENCH_PASSWORD, LOGIN_EMAIL } from '../lib/seed.js';
import { median } from '../lib/stats.js';

/** Concurrent logins, as the login storm: `-c 8`. */
export const LOGIN_CONNECTIONS = 8;

/** POST /token with the login account's real password (form-encoded, RFC 6749 §4.3.2). */
export function tokenRequest(): RequestSpec {
  return {
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: LOGIN_EMAIL, password: BENCH_PASSWORD }).toString(),
  };
}

/** The raw argon2id verify rate (4 in flight, as the server's hash limiter) in its own process. */
export async function rawHashRate(ctx: BenchContext): Promise<number> {
  const out = await runNode(['bench/workers/argon2-rate.ts'], {
    BENCH_HASH: await ctx.hashedPassword(),
    BENCH_PASSWORD,
    SECONDS: String(ctx.config.seconds),
    CONCURRENCY: '4',
  });
  const { verifies, seconds } = JSON.parse(out) as { verifies: number; seconds: number };
  return verifies / seconds;
}

/** Successful logins per second on one server for one round. */
export async function loginRate(ctx: BenchContext, server: ServerProcess): Promise<number> {
  return (await ctx.drive(server, [tokenRequest()], LOGIN_CONNECTIONS)).rps;
}

/** Row 3: /token per second against the raw argon2id rate, in alternating rounds. */
export async function loginsRow(ctx: BenchContext): Promise<RowReport> {
  const ours = await ctx.ours();
  await expectOk(ours, tokenRequest());
  const samples = await alternate(ctx.config.rounds, {
    token: () => loginRate(ctx, ours),
    raw: () => rawHashRate(ctx),
  }, ctx.config.warmup);
  const [token, raw] = [median(samples.token!), median(samples.raw!)];
  return {
    id: 3,
    title: 'Logins',
    metrics: [
      { label: `ours POST /token (-c ${LOGIN_CONNECTIONS})`, value: token, unit: 'login/s' },
      { label: 'raw argon2id verify, m=19456 t=2 p=1, 4 in flight', value: raw, unit: 'hash/s' },
    ],
    checks: [{ label: '/token / raw argon2id', value: token / raw, unit: 'x', target: { op: '>=', value: 0.9 } }],
    notes: ['the raw rate runs in its own process (same libuv pool of 4 threads as the server), alternating with the /token rounds.'],
  };
}
