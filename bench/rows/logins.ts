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

/** The raw argon2id verify rate (4 in flight, as the server's hash limiter) in its own process, and its CPU per hash in ms. */
export async function rawHashRate(ctx: BenchContext): Promise<{ rate: number; cpuMsPerHash: number }> {
  const out = await runNode(['bench/workers/argon2-rate.ts'], {
    BENCH_HASH: await ctx.hashedPassword(),
    BENCH_PASSWORD,
    SECONDS: String(ctx.config.seconds),
    CONCURRENCY: '4',
  });
  const { verifies, seconds, cpuMs } = JSON.parse(out) as { verifies: number; seconds: number; cpuMs: number };
  return { rate: verifies / seconds, cpuMsPerHash: cpuMs / verifies };
}

/**
 * Successful logins per second on one server for one round; also the server's CPU per login and
 * the load generator's (this process, which shares the two cores with the hashing) in ms.
 */
export async function loginRate(ctx: BenchContext, server: ServerProcess): Promise<{ rate: number; serverCpuMs: number; loadCpuMs: number }> {
  const before = process.cpuUsage();
  const result = await ctx.drive(server, [tokenRequest()], LOGIN_CONNECTIONS);
  const load = process.cpuUsage(before);
  const logins = result.rps * ctx.config.seconds;
  return { rate: result.rps, serverCpuMs: result.cpuUsPerRequest / 1000, loadCpuMs: (load.user + load.system) / 1000 / logins };
}

/** Row 3: /token per second against the raw argon2id rate, in alternating rounds. */
export async function loginsRow(ctx: BenchContext): Promise<RowReport> {
  const ours = await ctx.ours();
  await expectOk(ours, tokenRequest());
  const cpu = { server: [] as number[], load: [] as number[], raw: [] as number[] };
  const samples = await alternate(
    ctx.config.rounds,
    {
      token: async () => {
        const round = await loginRate(ctx, ours);
        cpu.server.push(round.serverCpuMs);
        cpu.load.push(round.loadCpuMs);
        return round.rate;
      },
      raw: async () => {
        const round = await rawHashRate(ctx);
        cpu.raw.push(round.cpuMsPerHash);
        return round.rate;
      },
    },
    ctx.config.warmup,
  );
  const [token, raw] = [median(samples.token!), median(samples.raw!)];
  // The CPU figures were pushed in the discarded warm-up round too: drop it as alternate() did.
  if (ctx.config.warmup) for (const list of Object.values(cpu)) list.shift();
  return {
    id: 3,
    title: 'Logins',
    metrics: [
      { label: `ours POST /token (-c ${LOGIN_CONNECTIONS})`, value: token, unit: 'login/s' },
      { label: 'raw argon2id verify, m=19456 t=2 p=1, 4 in flight', value: raw, unit: 'hash/s' },
      { label: 'ours: server CPU per login', value: median(cpu.server), unit: 'ms' },
      { label: 'load generator CPU per login (same two cores)', value: median(cpu.load), unit: 'ms' },
      { label: 'raw: CPU per argon2id verify', value: median(cpu.raw), unit: 'ms' },
    ],
    checks: [{ label: '/token / raw argon2id', value: token / raw, unit: 'x', target: { op: '>=', value: 0.9 } }],
    notes: [
      'the raw rate runs in its own process (same libuv pool of 4 threads as the server), alternating with the /token rounds.',
      "all three share the two cores: the server's CPU per login beyond one verify (HTTP, form parsing, the token insert) and the load " +
        "generator's CPU per login are what /token loses against the raw rate.",
    ],
  };
}
