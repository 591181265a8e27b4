import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { startServer, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { median } from '../lib/stats.js';

/**
 * Better Auth on SQLite with `users` signed-up sessions; its cookies come back in a file. With
 * `cookieCache`, its cookie cache is on (sessions answered from a signed cookie).
 */
export async function startBetterAuth(ctx: BenchContext, users: number, cookieCache = false): Promise<{ server: ServerProcess; cookies: string[] }> {
  const name = cookieCache ? 'better-auth-cookie-cache' : 'better-auth';
  const cookiesFile = join(ctx.dir, `${name}-cookies.json`);
  const server = await ctx.server(name, () =>
    startServer({
      name,
      command: process.execPath,
      args: tsxArgs('bench/servers/better-auth.ts'),
      env: {
        BA_DATABASE: join(ctx.dir, `${name}.db`),
        BA_USERS: String(users),
        BA_COOKIES_FILE: cookiesFile,
        BETTER_AUTH_TELEMETRY: '0',
        BA_COOKIE_CACHE: cookieCache ? '1' : '0',
      },
      readyPath: '/api/auth/ok',
      timeoutMs: 300_000,
    }),
  );
  return { server, cookies: JSON.parse(readFileSync(cookiesFile, 'utf8')) as string[] };
}

/**
 * Our server as of another commit (`--baseline=REF`), for before/after figures of an
 * optimisation in the same alternating run. Its src/ is extracted under node_modules/.cache so
 * that it resolves the same dependencies.
 */
async function startBaseline(ctx: BenchContext, ref: string): Promise<ServerProcess> {
  const dir = join('node_modules', '.cache', 'fastify-users-bench', ref.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${JSON.stringify(ref)} src | tar -x -C ${JSON.stringify(dir)}`]);
  // Node looks for a file's package scope no higher than node_modules: without this the extracted
  // src/ would load as CommonJS (and its top-level await fail).
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  return ctx.server(`baseline-${ref}`, async () =>
    startServer({
      name: `ours@${ref}`,
      command: process.execPath,
      args: tsxArgs(join(dir, 'src', 'cli.ts'), 'serve'),
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${await ctx.seededSqlite('baseline')}` },
    }),
  );
}

/**
 * Row 1: GET /users/me with a rotating pool of bearer tokens, against the bare Fastify ceiling
 * and Better Auth's get-session (unless `withBetterAuth` is off, as in the smoke run).
 */
export async function bearerRow(ctx: BenchContext, withBetterAuth: boolean, baseline?: string): Promise<RowReport> {
  const [ours, bare, handWritten] = await Promise.all([ctx.ours(), ctx.bare(), ctx.handWritten()]);
  // The same server without its session cache (docs/session-cache.md): what the cache buys.
  const uncached = await ctx.server('ours-cache-off', async () =>
    startServer({
      name: 'ours-cache-off',
      command: process.execPath,
      args: tsxArgs('src/cli.ts', 'serve'),
      env: { ...OUR_ENV, SESSION_CACHE: 'off', DATABASE_URL: `sqlite:${await ctx.seededSqlite('ours-cache-off')}` },
    }),
  );
  const requests = bearerRequests(ctx.bearerPool());
  const body = await expectOk(ours, requests[0]!);
  const bareBody = await expectOk(bare, { path: '/users/me' });
  if ((await expectOk(handWritten, requests[0]!)) !== body) throw new Error('the hand-written check answers another body than ours');
  const notes = [
    `pool of ${requests.length.toLocaleString('en')} distinct valid tokens, rotated per connection; ` +
      `ours answers e.g. \`${body}\`, bare Fastify a constant \`${bareBody}\` through the same response schema.`,
    "the hand-written check (bench/servers/hand-written.ts) is the issue's yardstick: bare Fastify plus the token's SHA-256 and one prepared " +
      'SQLite join with the expiry, the same body through the same schema — without the headers, CSRF/Origin/CORS hooks and request ' +
      'logger docs/security.md asks of ours (measured before at 0.41–0.59 × bare).',
  ];
  const cpu: Record<string, number[]> = {
    bare: [],
    'hand-written': [],
    ours: [],
    'ours-cache-off': [],
    'better-auth': [],
    'better-auth-cookie-cache': [],
    baseline: [],
  };
  const measure = (name: string, server: ServerProcess, specs: typeof requests) => async () => {
    const result = await ctx.drive(server, specs);
    cpu[name]!.push(result.cpuUsPerRequest);
    return result.rps;
  };
  const contenders: Record<string, () => Promise<number>> = {
    bare: measure('bare', bare, [{ path: '/users/me' }]),
    'hand-written': measure('hand-written', handWritten, requests),
    ours: measure('ours', ours, requests),
    'ours-cache-off': measure('ours-cache-off', uncached, requests),
  };
  if (baseline) {
    const server = await startBaseline(ctx, baseline);
    await expectOk(server, requests[0]!);
    contenders.baseline = measure('baseline', server, requests);
  }
  if (withBetterAuth) {
    const ba = await startBetterAuth(ctx, ctx.config.pool);
    const baRequests = ba.cookies.map((cookie) => ({ path: '/api/auth/get-session', headers: { cookie } }));
    const baBody = await expectOk(ba.server, baRequests[0]!);
    if (!baBody.includes('"session"')) throw new Error(`Better Auth get-session returned no session: ${baBody.slice(0, 200)}`);
    contenders['better-auth'] = measure('better-auth', ba.server, baRequests);
    const cached = await startBetterAuth(ctx, ctx.config.pool, true);
    const cachedRequests = cached.cookies.map((cookie) => ({ path: '/api/auth/get-session', headers: { cookie } }));
    if (!(await expectOk(cached.server, cachedRequests[0]!)).includes('"session"')) throw new Error('Better Auth (cookie cache) returned no session');
    contenders['better-auth-cookie-cache'] = measure('better-auth-cookie-cache', cached.server, cachedRequests);
    const version = (JSON.parse(readFileSync('node_modules/better-auth/package.json', 'utf8')) as { version: string }).version;
    notes.push(
      `Better Auth ${version} (better-sqlite3 via its Kysely adapter, node:http via toNodeHandler, tables from its getMigrations), ` +
        `${ba.cookies.length.toLocaleString('en')} signed-up sessions, GET /api/auth/get-session with each session cookie; its cookie cache is off (the default), so every call reads the database. ` +
        'A second Better Auth runs with its cookie cache on (`session.cookieCache`, 5 minutes): get-session answers from the signed cookie, without the ' +
        'database — and so keeps a revoked session alive until the cookie expires, where ours refuses it within 1 s on every instance (docs/session-cache.md).',
    );
  }
  const samples = await alternate(ctx.config.rounds, contenders, ctx.config.warmup);
  const rps = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const report: RowReport = {
    id: 1,
    title: 'Bearer throughput',
    metrics: [
      { label: 'bare Fastify GET /users/me (ceiling)', value: rps.bare!, unit: 'req/s' },
      { label: 'hand-written check GET /users/me, bearer', value: rps['hand-written']!, unit: 'req/s' },
      { label: 'ours GET /users/me, bearer', value: rps.ours!, unit: 'req/s' },
      { label: 'ours with SESSION_CACHE=off GET /users/me, bearer', value: rps['ours-cache-off']!, unit: 'req/s' },
    ],
    checks: [
      { label: 'ours / bare Fastify', value: rps.ours! / rps.bare!, unit: 'x', target: { op: '>=', value: 0.6 } },
      { label: 'ours / bare Fastify, by server CPU per request', value: median(cpu.bare!) / median(cpu.ours!), unit: 'x' },
      { label: 'hand-written check / bare Fastify (the yardstick)', value: rps['hand-written']! / rps.bare!, unit: 'x' },
      { label: 'hand-written check / bare Fastify, by server CPU per request', value: median(cpu.bare!) / median(cpu['hand-written']!), unit: 'x' },
      { label: 'ours / hand-written check', value: rps.ours! / rps['hand-written']!, unit: 'x', target: { op: '>=', value: 1.0 } },
      { label: 'ours / hand-written check, by server CPU per request', value: median(cpu['hand-written']!) / median(cpu.ours!), unit: 'x' },
      { label: 'ours / ours with SESSION_CACHE=off, by server CPU per request', value: median(cpu['ours-cache-off']!) / median(cpu.ours!), unit: 'x' },
    ],
    notes,
  };
  if (withBetterAuth) {
    report.metrics.push({ label: 'Better Auth GET /api/auth/get-session', value: rps['better-auth']!, unit: 'req/s' });
    report.metrics.push({ label: 'Better Auth with its cookie cache, GET /api/auth/get-session', value: rps['better-auth-cookie-cache']!, unit: 'req/s' });
    report.checks.push(
      { label: 'ours / Better Auth', value: rps.ours! / rps['better-auth']!, unit: 'x', target: { op: '>=', value: 25 } },
      { label: 'ours / Better Auth with its cookie cache', value: rps.ours! / rps['better-auth-cookie-cache']!, unit: 'x', target: { op: '>=', value: 10 } },
    );
  }
  report.metrics.push(
    { label: 'bare Fastify: server CPU per request', value: median(cpu.bare!), unit: 'µs' },
    { label: 'hand-written check: server CPU per request', value: median(cpu['hand-written']!), unit: 'µs' },
    { label: 'ours: server CPU per request', value: median(cpu.ours!), unit: 'µs' },
    { label: 'ours with SESSION_CACHE=off: server CPU per request', value: median(cpu['ours-cache-off']!), unit: 'µs' },
  );
  if (withBetterAuth) {
    report.metrics.push(
      { label: 'Better Auth: server CPU per request', value: median(cpu['better-auth']!), unit: 'µs' },
      { label: 'Better Auth with its cookie cache: server CPU per request', value: median(cpu['better-auth-cookie-cache']!), unit: 'µs' },
    );
  }
  if (baseline) {
    report.metrics.push(
      { label: `ours as of ${baseline} GET /users/me, bearer`, value: rps.baseline!, unit: 'req/s' },
      { label: `ours as of ${baseline}: server CPU per request`, value: median(cpu.baseline!), unit: 'µs' },
    );
    report.checks.push(
      { label: `ours@${baseline} / bare Fastify`, value: rps.baseline! / rps.bare!, unit: 'x' },
      { label: `ours@${baseline} / bare Fastify, by server CPU per request`, value: median(cpu.bare!) / median(cpu.baseline!), unit: 'x' },
    );
  }
  report.metrics.push({ label: 'ours server RSS after the row', value: ours.rssMiB(), unit: 'MiB' });
  return report;
}
