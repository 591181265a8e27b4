import { join } from 'node:path';
import { alternate, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import type { RequestSpec } from '../lib/load.js';
import { startServer, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { BENCH_PASSWORD } from '../lib/seed.js';
import { median } from '../lib/stats.js';
import { startBetterAuth } from './bearer.js';

/** Connections of this row: what an independent run used, five times row 1's. */
const CONNECTIONS = 50;
/** Logins in flight while issuing the pool (the server hashes four at a time). */
const ISSUING = 4;
/** Headers of an answer that belong to the connection, not to the answer. */
const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** Tokens issued through the API: one `POST /token` per seeded user, as real clients get them. */
async function issueTokens(server: ServerProcess, count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=user${i}%40bench.test&password=${encodeURIComponent(BENCH_PASSWORD)}`,
      });
      const body = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || !body.access_token) throw new Error(`${server.name} POST /token answered ${response.status}`);
      tokens[i] = body.access_token;
    }
  };
  await Promise.all(Array.from({ length: ISSUING }, worker));
  return tokens;
}

/**
 * Our server as a user starts it: `npm start` (the built bundle since it measured cheaper than
 * tsx, package.json), or `tsx src/cli.ts serve` as `npm start` ran it before; LOG_LEVEL info is the default.
 */
async function startOurs(ctx: BenchContext, name: string, how: 'npm-start' | 'tsx', logLevel: string): Promise<ServerProcess> {
  const db = await ctx.seededSqlite(name);
  return ctx.server(name, () =>
    startServer({
      name,
      command: how === 'npm-start' ? 'npm' : join('node_modules', '.bin', 'tsx'),
      args: how === 'npm-start' ? ['start', '--silent'] : ['src/cli.ts', 'serve'],
      env: { ...OUR_ENV, LOG_LEVEL: logLevel, DATABASE_URL: `sqlite:${db}` },
      timeoutMs: 180_000,
    }),
  );
}

/**
 * Row 9: the bearer check in a deployment's setup — 50 connections; tokens issued through
 * `POST /token` (so their rows and `last_used_at` are as real use leaves them); our server started
 * the README's way (`npm start`, LOG_LEVEL=info); the hand-written check reading our server's own
 * SQLite file; a "same bytes, no work" server sending our exact answer; every contender alive at
 * once, in alternating rounds. Variants of ours price the suspects: tsx (how `npm start`
 * ran before) instead of the bundle, and LOG_LEVEL=warn (no request lines).
 */
export async function deploymentRow(ctx: BenchContext, withBetterAuth: boolean): Promise<RowReport> {
  // One after the other: each `npm start` rebuilds the bundle first (prestart).
  const bare = await ctx.bare();
  const started = await startOurs(ctx, 'deploy-npm-start', 'npm-start', 'info');
  const viaTsx = await startOurs(ctx, 'deploy-tsx', 'tsx', 'info');
  const quiet = await startOurs(ctx, 'deploy-npm-start-warn', 'npm-start', 'warn');
  const pool = ctx.config.pool;
  const [startedTokens, tsxTokens, quietTokens] = [await issueTokens(started, pool), await issueTokens(viaTsx, pool), await issueTokens(quiet, pool)];
  const specs = (tokens: string[]): RequestSpec[] => tokens.map((t) => ({ path: '/users/me', headers: { authorization: `Bearer ${t}` } }));
  // The hand-written check opens the file `npm start` serves, and its tokens.
  const handWritten = await ctx.server('deploy-hand-written', async () =>
    startServer({
      name: 'deploy-hand-written',
      command: process.execPath,
      args: tsxArgs('bench/servers/hand-written.ts'),
      env: { HW_DATABASE: join(ctx.dir, 'deploy-npm-start.db') },
    }),
  );
  // One real answer of ours, copied byte for byte into the "same bytes" server.
  const probe = await fetch(`${started.url}/users/me`, { headers: { authorization: `Bearer ${startedTokens[0]}` } });
  const body = await probe.text();
  if (probe.status !== 200) throw new Error(`npm start answered ${probe.status}: ${body.slice(0, 200)}`);
  const headers: Record<string, string> = {};
  probe.headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) headers[name] = value;
  });
  const sameBytes = await ctx.server('same-bytes', () =>
    startServer({
      name: 'same-bytes',
      command: process.execPath,
      args: tsxArgs('bench/servers/same-bytes.ts'),
      env: { SB_HEADERS: JSON.stringify(headers), SB_BODY: body },
    }),
  );
  const copied = await fetch(`${sameBytes.url}/users/me`);
  if ((await copied.text()) !== body) throw new Error('the same-bytes server answers another body than ours');
  if ((await expectOk(handWritten, specs(startedTokens)[0]!)) !== body) throw new Error('the hand-written check answers another body than ours');
  for (const [server, tokens] of [
    [viaTsx, tsxTokens],
    [quiet, quietTokens],
  ] as const)
    await expectOk(server, specs(tokens)[0]!);

  const cpu: Record<string, number[]> = {};
  const measure = (name: string, server: ServerProcess, requests: RequestSpec[]) => async () => {
    const result = await ctx.drive(server, requests, CONNECTIONS);
    (cpu[name] ??= []).push(result.cpuUsPerRequest);
    return result.rps;
  };
  const contenders: Record<string, () => Promise<number>> = {
    bare: measure('bare', bare, [{ path: '/users/me' }]),
    'same-bytes': measure('same-bytes', sameBytes, [{ path: '/users/me' }]),
    'hand-written': measure('hand-written', handWritten, specs(startedTokens)),
    'npm-start': measure('npm-start', started, specs(startedTokens)),
    tsx: measure('tsx', viaTsx, specs(tsxTokens)),
    'npm-start-warn': measure('npm-start-warn', quiet, specs(quietTokens)),
  };
  if (withBetterAuth) {
    const ba = await startBetterAuth(ctx, pool);
    contenders['better-auth'] = measure(
      'better-auth',
      ba.server,
      ba.cookies.map((cookie) => ({ path: '/api/auth/get-session', headers: { cookie } })),
    );
  }
  const samples = await alternate(ctx.config.rounds, contenders, ctx.config.warmup);
  const rps = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const us = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v.slice(ctx.config.warmup ? 1 : 0))])) as Record<string, number>;
  const label: Record<string, string> = {
    bare: 'bare Fastify GET /users/me (a constant through the schema)',
    'same-bytes': 'same bytes, no work (our exact answer, headers and body)',
    'hand-written': "hand-written check on our npm start's SQLite file",
    'npm-start': 'ours, npm start (the built bundle), LOG_LEVEL=info',
    tsx: 'ours, tsx src/cli.ts serve (npm start before), LOG_LEVEL=info',
    'npm-start-warn': 'ours, npm start, LOG_LEVEL=warn',
    'better-auth': 'Better Auth GET /api/auth/get-session',
  };
  const report: RowReport = {
    id: 9,
    title: 'Bearer, deployment setup',
    metrics: [
      ...Object.keys(contenders).map((k) => ({ label: `${label[k]}, ${CONNECTIONS} connections`, value: rps[k]!, unit: 'req/s' })),
      ...Object.keys(contenders).map((k) => ({ label: `${label[k]}: CPU per answer (process tree)`, value: us[k]!, unit: 'µs' })),
    ],
    checks: [
      { label: 'npm start / same bytes, no work', value: rps['npm-start']! / rps['same-bytes']!, unit: 'x', target: { op: '>=', value: 0.9 } },
      { label: 'npm start / same bytes, by CPU per answer', value: us['same-bytes']! / us['npm-start']!, unit: 'x' },
      { label: 'npm start / hand-written check', value: rps['npm-start']! / rps['hand-written']!, unit: 'x', target: { op: '>=', value: 1.0 } },
      { label: 'npm start / hand-written check, by CPU per answer', value: us['hand-written']! / us['npm-start']!, unit: 'x' },
      { label: 'npm start (bundle) / tsx src/cli.ts (what tsx cost per answer), by CPU', value: us.tsx! / us['npm-start']!, unit: 'x' },
      { label: 'npm start at info / at warn (what request logging costs), by CPU', value: us['npm-start-warn']! / us['npm-start']!, unit: 'x' },
      { label: 'same bytes / bare Fastify (what our headers cost the wire)', value: rps['same-bytes']! / rps.bare!, unit: 'x' },
    ],
    notes: [
      `${CONNECTIONS} connections; each of our servers has ${pool.toLocaleString('en')} tokens issued through POST /token (one per seeded user) and is driven with them; ` +
        'CPU per answer sums every process of the command (npm → sh → node for `npm start`; tsx → node for tsx).',
      `the same-bytes server (bench/servers/same-bytes.ts) sends a copy of a real answer of ours: ${Object.keys(headers).length} headers (${Object.keys(headers).join(', ')}) and \`${body}\`.`,
    ],
  };
  if (withBetterAuth) {
    report.checks.push(
      { label: 'npm start / Better Auth', value: rps['npm-start']! / rps['better-auth']!, unit: 'x', target: { op: '>=', value: 25 } },
      { label: 'npm start / Better Auth, by CPU per answer', value: us['better-auth']! / us['npm-start']!, unit: 'x' },
    );
  }
  return report;
}
