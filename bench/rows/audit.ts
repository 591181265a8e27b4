import { alternate, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { startServer } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { median } from '../lib/stats.js';
import { LOGIN_CONNECTIONS, loginRate, tokenRequest } from './logins.js';

/**
 * Row 15: logins with the audit log on against the same server with it off (docs/audit.md), in
 * alternating rounds of one run. Each login appends `sign_in.succeeded` to the hash chain (one
 * more transaction, serialised on the chain's head); the target is that this costs under 5 % of
 * the login rate, which argon2id dominates.
 */
export async function auditRow(ctx: BenchContext): Promise<RowReport> {
  const start = (audit: 'on' | 'off') =>
    ctx.server(`audit-${audit}`, async () =>
      startServer({
        name: `library-audit-${audit}`,
        command: process.execPath,
        args: tsxArgs('bench/servers/library.ts'),
        env: { ...OUR_ENV, DATABASE_URL: `sqlite:${await ctx.seededSqlite(`audit-${audit}`)}`, BENCH_AUDIT: audit },
      }),
    );
  const on = await start('on');
  const off = await start('off');
  await expectOk(on, tokenRequest());
  await expectOk(off, tokenRequest());
  const samples = await alternate(
    ctx.config.rounds,
    { on: async () => (await loginRate(ctx, on)).rate, off: async () => (await loginRate(ctx, off)).rate },
    ctx.config.warmup,
  );
  const [withLog, withoutLog] = [median(samples.on!), median(samples.off!)];
  return {
    id: 15,
    title: 'Audit log',
    metrics: [
      { label: `POST /token with the audit log (-c ${LOGIN_CONNECTIONS})`, value: withLog, unit: 'login/s' },
      { label: `POST /token without it (-c ${LOGIN_CONNECTIONS})`, value: withoutLog, unit: 'login/s' },
    ],
    checks: [{ label: 'logins: audit log on / off', value: withLog / withoutLog, unit: 'x', target: { op: '>=', value: 0.95 } }],
    notes: ['both servers are bench/servers/library.ts on their own copy of the base seed; "off" hands the plugin a store without its audit table.'],
  };
}
