// Profiles our server on the bearer hot path: starts `src/cli.ts serve` under `node --cpu-prof`
// on the base seed, drives GET /users/me for SECONDS (default 8), then prints the functions with
// the most self time. `node --import tsx bench/profile.ts [seconds]`; the .cpuprofile file (open
// it in Chrome DevTools) stays in the printed folder. PROFILE_LOG_LEVEL=info profiles the server
// at the level `npm start` runs with (its request lines written to a pipe, as under a supervisor);
// PROFILE_CONNECTIONS sets autocannon's connections (default 10).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchContext, bearerRequests, OUR_ENV } from './lib/context.js';
import { load } from './lib/load.js';
import { startServer } from './lib/process.js';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

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
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'))!;
  const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as Profile;
  // Only the samples taken under load: start-up (module loading, migrations) is another story.
  let elapsed = 0;
  const skipUs = (server.startMs + 500) * 1000;
  profile.samples = profile.samples.filter((_, i) => (elapsed += profile.timeDeltas[i]!) > skipUs);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/src\//, 'src/')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
  // Inclusive time: every distinct function on each sample's stack.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const id of profile.samples) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      seen.add(
        `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/src\//, 'src/')}:${frame.lineNumber + 1}`,
      );
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
  }
  console.log('\ninclusive:');
  for (const [key, count] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 60)) {
    console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
  console.log(`profile: ${join(out, file)}`);
} finally {
  await ctx.close();
}
