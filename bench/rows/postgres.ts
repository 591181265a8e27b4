import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { alternate, BASE_SEED, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { startServer } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { seedThroughKysely } from '../lib/seed.js';
import { median } from '../lib/stats.js';
import { loginRate, tokenRequest } from './logins.js';

/** `url` with its database name replaced. */
function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/**
 * Row 7: rows 1 and 3 on PostgreSQL (a fresh database, dropped after), each as a ratio to the
 * same measurement on SQLite in alternating rounds.
 */
export async function postgresRow(ctx: BenchContext): Promise<RowReport> {
  const admin = new pg.Client({ connectionString: ctx.config.postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return {
      id: 7,
      title: 'PostgreSQL',
      metrics: [],
      checks: [],
      notes: [`skipped: PostgreSQL at ${ctx.config.postgresUrl} is not reachable (${(error as Error).message}); set BENCH_DATABASE_URL.`],
    };
  }
  const name = `bench_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const url = withDatabase(ctx.config.postgresUrl, name);
  let server;
  try {
    await seedThroughKysely(url, { ...BASE_SEED, hashedPassword: await ctx.hashedPassword() });
    server = await startServer({
      name: 'ours-postgres',
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, DATABASE_URL: url },
    });
    const sqlite = await ctx.ours();
    const requests = bearerRequests(ctx.bearerPool());
    await expectOk(sqlite, requests[0]!);
    await expectOk(server, requests[0]!);
    await expectOk(server, tokenRequest());
    const bearer = await alternate(
      ctx.config.rounds,
      {
        sqlite: async () => (await ctx.drive(sqlite, requests)).rps,
        postgres: async () => (await ctx.drive(server!, requests)).rps,
      },
      ctx.config.warmup,
    );
    const logins = await alternate(
      ctx.config.rounds,
      {
        sqlite: async () => (await loginRate(ctx, sqlite)).rate,
        postgres: async () => (await loginRate(ctx, server!)).rate,
      },
      ctx.config.warmup,
    );
    const [bs, bp, ls, lp] = [median(bearer.sqlite!), median(bearer.postgres!), median(logins.sqlite!), median(logins.postgres!)];
    return {
      id: 7,
      title: 'PostgreSQL',
      metrics: [
        { label: 'bearer GET /users/me on SQLite', value: bs, unit: 'req/s' },
        { label: 'bearer GET /users/me on PostgreSQL', value: bp, unit: 'req/s' },
        { label: 'POST /token on SQLite', value: ls, unit: 'login/s' },
        { label: 'POST /token on PostgreSQL', value: lp, unit: 'login/s' },
        { label: 'PostgreSQL server RSS after the row', value: server.rssMiB(), unit: 'MiB' },
      ],
      checks: [
        // With sessions in memory (docs/session-cache.md), PostgreSQL's round trip leaves the bearer path.
        { label: 'bearer: PostgreSQL / SQLite', value: bp / bs, unit: 'x', target: { op: '>=', value: 0.9 } },
        { label: 'logins: PostgreSQL / SQLite', value: lp / ls, unit: 'x' },
      ],
      notes: [
        'PostgreSQL runs on the same 2 cores as the server and the load generator, so its own CPU is part of the price; ' +
          'the bearer target (≥ 0.9 × SQLite) is met by answering known sessions from memory (docs/session-cache.md).',
      ],
    };
  } finally {
    await server?.stop();
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  }
}
