// `npm run bench`: every server in its own process, driven by autocannon from this one, in
// alternating rounds; prints medians and ratios and writes them into docs/BENCHMARKS.md.
//
//   npm run bench                      full run (~20 min): 5 rounds of 5 s, 1M users / 10M tokens
//   npm run bench -- --quick           3 rounds of 3 s, 100k users / 1M tokens
//   npm run bench -- --smoke --out=F   one 1-s round of row 1 without Better Auth (bare vs ours) — for the test suite
//   npm run bench -- --rows=1,3        only some rows (--no-better-auth: row 1 without it)
//   npm run bench -- --rows=1 --baseline=REF   row 1 also runs our server as of commit REF
//   npm run bench -- --rows=9 --pool=200       smaller token pools (quicker to issue through POST /token)
//   npm run bench -- --rows=11,12,13           our OAuth/OIDC provider: JWT access tokens, refresh grant, discovery (docs/oauth-server.md)
//   npm run bench -- --rows=14                 API keys against first-party tokens on one server (docs/api-keys.md)
//   npm run bench -- --rows=15                 logins with the audit log on and off, side by side (docs/audit.md)
//   BENCH_SCALE=3000000 npm run bench  row 5's large database holds 3M tokens (users = tokens / 10)
//   BENCH_DATABASE_URL=postgres://…    where rows 7 and 8 create their throwaway databases
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BenchContext, type BenchConfig } from './lib/context.js';
import { describeMachine } from './lib/machine.js';
import { checksTable, markdownReport, metricsTable, spliceReport, type RowReport } from './lib/report.js';
import { apiKeyRow } from './rows/api-key.js';
import { auditRow } from './rows/audit.js';
import { bearerRow } from './rows/bearer.js';
import { breachedRow } from './rows/breached.js';
import { cookieRow } from './rows/cookie.js';
import { deploymentRow } from './rows/deployment.js';
import { loginsRow } from './rows/logins.js';
import { oauthDiscoveryRow, oauthJwtRow, oauthRefreshRow } from './rows/oauth.js';
import { postgresRow } from './rows/postgres.js';
import { revocationRow } from './rows/revocation.js';
import { scaleRow } from './rows/scale.js';
import { startupRow } from './rows/startup.js';
import { stallsRow } from './rows/stalls.js';

function parseArgs(argv: string[]): { config: BenchConfig; rows: number[]; out: string | null } {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const mode = flag('smoke') ? 'smoke' : flag('quick') ? 'quick' : 'full';
  const largeTokens = Number(process.env.BENCH_SCALE ?? (mode === 'full' ? 10_000_000 : mode === 'quick' ? 1_000_000 : 20_000));
  if (!Number.isInteger(largeTokens) || largeTokens < 1000) throw new Error('BENCH_SCALE must be a whole number of tokens ≥ 1000');
  const config: BenchConfig = {
    mode,
    rounds: mode === 'full' ? 5 : mode === 'quick' ? 3 : 1,
    warmup: mode !== 'smoke',
    seconds: mode === 'full' ? 5 : mode === 'quick' ? 3 : 1,
    connections: 10,
    pool: Number(value('pool') ?? 1000),
    scale: {
      small: { users: 10_000, tokens: 100_000 },
      large: { users: Math.max(1, Math.round(largeTokens / 10)), tokens: largeTokens },
    },
    startups: mode === 'full' ? 5 : mode === 'quick' ? 3 : 1,
    postgresUrl: process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
  if (mode === 'smoke') config.scale.small = { users: 1000, tokens: 2000 };
  const rows = value('rows')?.split(',').map(Number) ?? (mode === 'smoke' ? [1] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const out = value('out') ?? (mode === 'smoke' ? null : 'docs/BENCHMARKS.md');
  return { config, rows, out };
}

async function main(): Promise<void> {
  const started = performance.now();
  const { config, rows, out } = parseArgs(process.argv.slice(2));
  const machine = describeMachine();
  console.error(`bench: ${config.mode} mode, rows ${rows.join(', ')}; ${machine.cpuModel}, nproc ${machine.nproc}, Node ${machine.node}`);
  const ctx = new BenchContext(config);
  const stop = () => void ctx.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const reports: RowReport[] = [];
  const runners: Record<number, () => Promise<RowReport>> = {
    1: () =>
      bearerRow(
        ctx,
        config.mode !== 'smoke' && !process.argv.includes('--no-better-auth'),
        process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length),
      ),
    2: () => cookieRow(ctx),
    3: () => loginsRow(ctx),
    4: () => stallsRow(ctx),
    5: () => scaleRow(ctx),
    6: () => startupRow(ctx),
    7: () => postgresRow(ctx),
    8: () => revocationRow(ctx),
    9: () => deploymentRow(ctx, !process.argv.includes('--no-better-auth')),
    10: () => breachedRow(ctx),
    11: () => oauthJwtRow(ctx),
    12: () => oauthRefreshRow(ctx),
    13: () => oauthDiscoveryRow(ctx),
    14: () => apiKeyRow(ctx),
    15: () => auditRow(ctx),
  };
  try {
    for (const id of rows) {
      const runner = runners[id];
      if (!runner) throw new Error(`no row ${id}`);
      const rowStarted = performance.now();
      console.error(`bench: row ${id}…`);
      const report = await runner();
      reports.push(report);
      console.error(`bench: row ${id} done in ${Math.round((performance.now() - rowStarted) / 1000)} s`);
    }
  } finally {
    await ctx.close();
  }
  console.log(`\n${metricsTable(reports)}\n\n${checksTable(reports)}\n`);
  if (out) {
    const generated = markdownReport(
      {
        machine,
        mode: config.mode,
        rounds: config.rounds,
        warmup: config.warmup,
        seconds: config.seconds,
        connections: config.connections,
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        elapsedSeconds: (performance.now() - started) / 1000,
      },
      reports,
    );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, spliceReport(existsSync(out) ? readFileSync(out, 'utf8') : null, generated));
    console.error(`bench: wrote ${out}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
