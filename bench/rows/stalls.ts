import { bearerRequests, type BenchContext } from '../lib/context.js';
import { load } from '../lib/load.js';
import { runNode } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { BENCH_PASSWORD, LOGIN_EMAIL } from '../lib/seed.js';
import { quantile } from '../lib/stats.js';
import { LOGIN_CONNECTIONS } from './logins.js';

/**
 * Row 4: GET /users/me latency (one connection, closed loop) while a login storm (`-c 8` on
 * /token, from another process) runs: hashing must queue on the thread pool, not stall the loop.
 */
export async function stallsRow(ctx: BenchContext): Promise<RowReport> {
  const ours = await ctx.ours();
  const requests = bearerRequests(ctx.bearerPool());
  const { seconds, rounds } = ctx.config;
  const latencies: number[] = [];
  const quiet: number[] = [];
  let logins = 0;
  for (let round = 0; round < rounds; round++) {
    quiet.push(...(await load({ url: ours.url, requests, connections: 1, durationSeconds: Math.max(1, seconds - 1), recordLatencies: true })).latencies);
    const storm = runNode(['bench/workers/storm.ts'], {
      TARGET_URL: ours.url,
      LOGIN_EMAIL,
      BENCH_PASSWORD,
      CONNECTIONS: String(LOGIN_CONNECTIONS),
      SECONDS: String(seconds + 1),
    });
    await new Promise((resolve) => setTimeout(resolve, 700)); // let the storm's process start and ramp up
    const probe = await load({ url: ours.url, requests, connections: 1, durationSeconds: Math.max(1, seconds - 1), recordLatencies: true });
    latencies.push(...probe.latencies);
    logins += (JSON.parse(await storm) as { rps: number }).rps;
  }
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  return {
    id: 4,
    title: 'No stalls',
    metrics: [
      { label: 'GET /users/me p50, no storm', value: quantile(quiet, 0.5), unit: 'ms' },
      { label: 'GET /users/me p99, no storm', value: quantile(quiet, 0.99), unit: 'ms' },
      { label: 'login storm meanwhile (mean of rounds)', value: logins / rounds, unit: 'login/s' },
    ],
    checks: [
      { label: 'GET /users/me p50 during storm', value: p50, unit: 'ms', target: { op: '<=', value: 1 } },
      { label: 'GET /users/me p99 during storm', value: p99, unit: 'ms', target: { op: '<=', value: 20 } },
    ],
    notes: [
      `percentiles over all ${latencies.length.toLocaleString('en')} probe responses of the ${rounds} rounds (autocannon, 1 connection, exact float latencies), while a separate process ran autocannon -c ${LOGIN_CONNECTIONS} on /token.`,
    ],
  };
}
