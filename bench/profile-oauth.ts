// Profiles our OAuth provider under the load of a bench row: starts `src/cli.ts serve` with
// OAUTH_SERVER=on under `node --cpu-prof` on the base seed, drives row 11's GET /users/me with a
// JWT access token (`11`), row 12's refresh grant (`12`) or row 13's discovery document (`13`) for SECONDS (default 8), then prints the
// functions with the most self and inclusive time, and the share of each package and of our code.
// `node --import tsx bench/profile-oauth.ts 12 [seconds]`; the .cpuprofile stays in the printed folder.
// `alone` profiles row 12's yardstick instead (bench/servers/oidc-alone.ts), for comparison.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchContext, bearerRequests, OUR_ENV, tsxArgs } from './lib/context.js';
import { load } from './lib/load.js';
import { codeFlowTokens, driveRefresh, registerClient } from './lib/oauth.js';
import { freePort, startServer } from './lib/process.js';
import { BENCH_PASSWORD } from './lib/seed.js';

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
const frameKey = (frame: ProfileNode['callFrame']) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/src\//, 'src/')}:${frame.lineNumber + 1}`;
/** A frame's package (`~kysely`), our source folder (`src/features/oauth-server`), or `node`. */
const ownerOf = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `~${pkg[1]}`;
  const ours = /\/(src\/.*)\/[^/]+$/.exec(url);
  return ours ? ours[1]! : url === '' ? '(native/gc)' : 'node';
};
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
  // The main thread's profile: the largest (tsx's loader thread writes one too).
  const file = readdirSync(out)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((x, y) => statSync(join(out, y)).size - statSync(join(out, x)).size)[0]!;
  const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as Profile;
  // Only the samples taken under load: start-up and the flows that made the tokens are another story.
  let elapsed = 0;
  profile.samples = profile.samples.filter((_, i) => (elapsed += profile.timeDeltas[i]!) > loadStartUs);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const total = profile.samples.length;
  const self = new Map<string, number>();
  const owners = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    self.set(frameKey(frame), (self.get(frameKey(frame)) ?? 0) + 1);
    owners.set(ownerOf(frame.url), (owners.get(ownerOf(frame.url)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(frameKey(byId.get(at)!.callFrame));
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
  }
  const print = (title: string, map: Map<string, number>, n: number) => {
    console.log(`\n${title}:`);
    for (const [key, count] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  };
  print('self time by package or folder', owners, 25);
  print('self time', self, 30);
  print('inclusive', inclusive, 70);
  console.log(`\n${total} samples; profile: ${join(out, file)}`);
} finally {
  await ctx.close();
}
