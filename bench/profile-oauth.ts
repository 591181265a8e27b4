// Profiles our OAuth provider under the load of a bench row: starts `src/cli.ts serve` with
// OAUTH_SERVER=on under `node --cpu-prof` on the base seed, drives row 11's GET /users/me with a
// JWT access token (`11`), row 12's refresh grant (`12`) or row 13's discovery document (`13`) for SECONDS (default 8), then prints the
// functions with the most self and inclusive time, and the share of each package and of our code.
// `node --import tsx bench/profile-oauth.ts 12 [seconds]`; the .cpuprofile stays in the printed folder.
// `alone` profiles row 12's yardstick instead (bench/servers/oidc-alone.ts), for comparison.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchContext, bearerRequests, OUR_ENV, tsxArgs } from './lib/context.js';
import { printShares, summarizeProfile } from './lib/cpu-profile.js';
import { load } from './lib/load.js';
import { codeFlowTokens, driveRefresh, registerClient } from './lib/oauth.js';
import { freePort, startServer } from './lib/process.js';
import { BENCH_PASSWORD } from './lib/seed.js';

const row = process.argv[2] ?? '12';
const seconds = Number(process.argv[3] ?? 8);
if (!['11', '12', '13', 'alone'].includes(row)) throw new Error('profile-oauth takes row 11, 12, 13 or alone');
const out = mkdtempSync(join(tmpdir(), 'fastify-users-profile-'));
const ctx = new BenchContext({
  mode: 'quick',
  rounds: 1,
  warmup: false,
  seconds,
  connections: 10,
  pool: 1000,
  scale: { small: { users: 0, tokens: 0 }, large: { users: 0, tokens: 0 } },
  startups: 0,
  postgresUrl: '',
});
try {
  const db = await ctx.seededSqlite('profile-oauth');
  const alone = row === 'alone';
  const client = alone ? { clientId: 'bench-client', clientSecret: 'bench-client-secret-0123456789abcdef0123456789' } : await registerClient(`sqlite:${db}`);
  const port = await freePort();
  const server = await startServer({
    name: 'profiled-oauth',
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${out}`, ...(alone ? tsxArgs('bench/servers/oidc-alone.ts') : tsxArgs('src/cli.ts', 'serve'))],
    port,
    env: alone
      ? { OA_GRANTS: '10', OA_CLIENT_ID: client.clientId, OA_CLIENT_SECRET: client.clientSecret }
      : { ...OUR_ENV, DATABASE_URL: `sqlite:${db}`, OAUTH_SERVER: 'on', PUBLIC_URL: `http://127.0.0.1:${port}` },
  });
  const login = { email: 'user0@bench.test', password: BENCH_PASSWORD };
  const startedAt = performance.now();
  if (row === '11') {
    const [tokens] = await codeFlowTokens(server, client, login, 1, { scope: 'openid', resource: server.url });
    const result = await load({ url: server.url, requests: bearerRequests([tokens!.access_token]), connections: 10, durationSeconds: seconds });
    console.log(`${Math.round(result.rps)} req/s, ${result.non2xx} non-2xx`);
  } else if (row === '13') {
    const result = await load({
      url: server.url,
      requests: [{ path: process.env.PROFILE_PATH ?? '/.well-known/openid-configuration' }],
      connections: 10,
      durationSeconds: seconds,
    });
    console.log(`${Math.round(result.rps)} req/s, ${result.non2xx} non-2xx`);
  } else if (alone) {
    const chains = (await (await fetch(`${server.url}/bench/refresh-tokens`)).json()) as string[];
    console.log(`${Math.round(await driveRefresh(server.url, client, chains, seconds))} refresh grants/s`);
  } else {
    const chains = (await codeFlowTokens(server, client, login, 10, { scope: 'openid offline_access' })).map((t) => t.refresh_token!);
    console.log(`${Math.round(await driveRefresh(`${server.url}/oauth2`, client, chains, seconds))} refresh grants/s`);
  }
  const loadStartUs = (server.startMs + (performance.now() - startedAt - seconds * 1000)) * 1000;
  server.child.kill(alone ? 'SIGTERM' : 'SIGINT');
  await new Promise((resolve) => server.child.once('exit', resolve));
  // Only the samples taken under load: start-up and the flows that made the tokens are another story.
  const summary = summarizeProfile(out, loadStartUs);
  printShares('self time by package or folder', summary.owners, summary.total, 25);
  printShares('self time', summary.self, summary.total, 30);
  printShares('inclusive', summary.inclusive, summary.total, 70);
  console.log(`\n${summary.total} samples; profile: ${summary.file}`);
} finally {
  await ctx.close();
}
