import { statSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { startServer } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { progressBar, sampleTokens, seedSqlite } from '../lib/seed.js';
import { median } from '../lib/stats.js';

function size(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}

/**
 * Row 5: the bearer benchmark on a small and a large database, seeded directly through SQL
 * (not HTTP), each served by its own process, alternating rounds.
 */
export async function scaleRow(ctx: BenchContext): Promise<RowReport> {
  const { small, large } = ctx.config.scale;
  const hashedPassword = await ctx.hashedPassword();
  const dbs: Record<'small' | 'large', { path: string; seedSeconds: number; plan: typeof small }> = {} as never;
  for (const [name, plan] of [
    ['small', small],
    ['large', large],
  ] as const) {
    const path = join(ctx.dir, `scale-${name}.db`);
    const started = performance.now();
    await seedSqlite(path, { ...plan, hashedPassword, progress: progressBar(`seeding ${size(plan.users)} users / ${size(plan.tokens)} tokens`) });
    dbs[name] = { path, plan, seedSeconds: (performance.now() - started) / 1000 };
  }
  const servers = {
    small: await startServer({
      name: 'scale-small',
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${dbs.small.path}` },
    }),
    large: await startServer({
      name: 'scale-large',
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${dbs.large.path}` },
    }),
  };
  try {
    const requests = {
      small: bearerRequests(sampleTokens(small.tokens, ctx.config.pool)),
      large: bearerRequests(sampleTokens(large.tokens, ctx.config.pool)),
    };
    await expectOk(servers.small, requests.small[0]!);
    await expectOk(servers.large, requests.large.at(-1)!);
    const samples = await alternate(
      ctx.config.rounds,
      {
        small: async () => (await ctx.drive(servers.small, requests.small)).rps,
        large: async () => (await ctx.drive(servers.large, requests.large)).rps,
      },
      ctx.config.warmup,
    );
    const [s, l] = [median(samples.small!), median(samples.large!)];
    const label = (name: 'small' | 'large') => `${size(dbs[name].plan.users)} users / ${size(dbs[name].plan.tokens)} tokens`;
    const fileMiB = (name: 'small' | 'large') => statSync(dbs[name].path).size / 2 ** 20;
    return {
      id: 5,
      title: 'Scale',
      metrics: [
        { label: `bearer GET /users/me, ${label('small')}`, value: s, unit: 'req/s' },
        { label: `bearer GET /users/me, ${label('large')}`, value: l, unit: 'req/s' },
        { label: `database file, ${label('small')}`, value: fileMiB('small'), unit: 'MiB' },
        { label: `database file, ${label('large')}`, value: fileMiB('large'), unit: 'MiB' },
        { label: `server RSS after the row, ${label('small')}`, value: servers.small.rssMiB(), unit: 'MiB' },
        { label: `server RSS after the row, ${label('large')}`, value: servers.large.rssMiB(), unit: 'MiB' },
        { label: `seeding time, ${label('small')}`, value: dbs.small.seedSeconds, unit: 's' },
        { label: `seeding time, ${label('large')}`, value: dbs.large.seedSeconds, unit: 's' },
      ],
      checks: [{ label: `${label('large')} / ${label('small')}`, value: l / s, unit: 'x', target: { op: '>=', value: 0.9 } }],
      notes: [
        `seeded through better-sqlite3 prepared inserts in 50k-row transactions (secondary indexes rebuilt after), one precomputed OWASP argon2id hash for every user; pools of ${ctx.config.pool.toLocaleString('en')} tokens spread evenly over each database.`,
      ],
    };
  } finally {
    await Promise.allSettled([servers.small.stop(), servers.large.stop()]);
  }
}
