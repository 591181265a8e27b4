// Profiles our server on the bearer hot path: starts `src/cli.ts serve` under `node --cpu-prof`
// on the base seed, drives GET /users/me for SECONDS (default 8), then prints the functions with
// the most self time. `node --import tsx bench/profile.ts [seconds]`; the .cpuprofile file (open
// it in Chrome DevTools) stays in the printed folder. PROFILE_LOG_LEVEL=info profiles the server
// at the level `npm start` runs with (its request lines written to a pipe, as under a supervisor);
// PROFILE_CONNECTIONS sets autocannon's connections (default 10).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchContext, bearerRequests, OUR_ENV } from './lib/context.js';
import { printShares, summarizeProfile } from './lib/cpu-profile.js';
import { load } from './lib/load.js';
import { startServer } from './lib/process.js';

const seconds = Number(process.argv[2] ?? 8);
// `bare` as the third argument profiles the bare Fastify ceiling instead, for comparison.
const script = process.argv[3] === 'bare' ? 'bench/servers/bare.ts' : 'src/cli.ts';
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
  const db = await ctx.seededSqlite('profile');
  const server = await startServer({
    name: 'profiled',
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${out}`, '--import', 'tsx', script, 'serve'],
    env: { ...OUR_ENV, LOG_LEVEL: process.env.PROFILE_LOG_LEVEL ?? OUR_ENV.LOG_LEVEL, DATABASE_URL: `sqlite:${db}` },
  });
  const result = await load({
    url: server.url,
    requests: bearerRequests(ctx.bearerPool()),
    connections: Number(process.env.PROFILE_CONNECTIONS ?? 10),
    durationSeconds: seconds,
  });
  console.log(`${Math.round(result.rps)} req/s, ${result.non2xx} non-2xx, ${Math.round(result.rps * seconds)} requests`);
  server.child.kill(script === 'src/cli.ts' ? 'SIGINT' : 'SIGTERM'); // the server closes and exits, and node writes the profile
  await new Promise((resolve) => server.child.once('exit', resolve));
  // Only the samples taken under load: start-up (module loading, migrations) is another story.
  const summary = summarizeProfile(out, (server.startMs + 500) * 1000);
  printShares('self time', summary.self, summary.total, 40);
  printShares('inclusive', summary.inclusive, summary.total, 60);
  console.log(`\nprofile: ${summary.file}`);
} finally {
  await ctx.close();
}
