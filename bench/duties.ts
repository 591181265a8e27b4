// What each per-request duty costs, in CPU instructions: one variant of the app answers
// GET /users/me (bearer, a session already in memory) N times through app.inject(), in process.
// Run under callgrind twice, with N and with 0, and the difference over N is the instructions per
// request (`valgrind --tool=callgrind` counts instructions deterministically enough, where
// `perf stat -e instructions` is not available, as in a VM):
//
//   node --import tsx bench/duties.ts            all variants, printed as a table (runs valgrind)
//   node --import tsx bench/duties.ts VARIANT N  one variant, N requests (what valgrind runs)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyUsers } from '../src/http/plugin.js';
import { PublicUser } from '../src/http/schemas.js';
import { registerSecurityHeaders } from '../src/http/security-headers.js';
import { buildServer, readConfig } from '../src/server.js';

const SECRET = 'bench-secret-key-that-is-long-enough-0123456789abcdef';
const ARGON2 = { memoryCost: 256, timeCost: 1, parallelism: 1 };
const USER = { id: 1, email: 'user0@bench.test', is_active: true, is_superuser: false, is_verified: true };

/** The variants, each adding one duty to the previous (or taking one away from the full server). */
const VARIANTS: Record<string, (dir: string) => Promise<FastifyInstance>> = {
  'bare route (same schema, no auth)': async () => {
    const app = Fastify({ logger: false });
    app.get('/users/me', { schema: { response: { 200: PublicUser } } }, async () => USER);
    return app;
  },
  'plugin, cache off (guard reads SQLite; CORS, Origin, CSRF, no-store hooks)': async (dir) => plugin(dir, false),
  'plugin, cache on': async (dir) => plugin(dir, true),
  'plugin + security headers': async (dir) => {
    const app = Fastify({ logger: false });
    await registerSecurityHeaders(app);
    await app.register(fastifyUsers, { databaseUrl: `sqlite:${join(dir, 'auth.db')}`, secretKey: SECRET, argon2: ARGON2 });
    return app;
  },
  'full server (+ request logging at info, OpenAPI routes, web page)': async (dir) =>
    buildServer(readConfig({ DATABASE_URL: `sqlite:${join(dir, 'auth.db')}`, SECRET_KEY: SECRET, LOG_LEVEL: 'info', NODE_ENV: 'test', ARGON2_MEMORY_COST: '256', ARGON2_TIME_COST: '1' }), {
      logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    }),
};

async function plugin(dir: string, sessionCache: boolean): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(fastifyUsers, { databaseUrl: `sqlite:${join(dir, 'auth.db')}`, secretKey: SECRET, argon2: ARGON2, sessionCache });
  return app;
}

async function run(variant: string, n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-users-duties-'));
  const app = await VARIANTS[variant]!(dir);
  await app.ready();
  let headers: Record<string, string> = {};
  if (!variant.startsWith('bare')) {
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'user0@bench.test', password: 'correct horse battery staple' } });
    const token = await app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=user0%40bench.test&password=correct+horse+battery+staple',
    });
    headers = { authorization: `Bearer ${token.json().access_token}` };
  }
  // Warm-up, the same for N = 0 and N > 0, so that both include start-up and JIT compilation.
  for (let i = 0; i < 200; i += 1) await app.inject({ method: 'GET', url: '/users/me', headers });
  for (let i = 0; i < n; i += 1) {
    const response = await app.inject({ method: 'GET', url: '/users/me', headers });
    if (response.statusCode !== 200) throw new Error(`${variant}: ${response.statusCode}`);
  }
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Instructions callgrind counted for one run of a variant. */
function instructions(variant: string, n: number): number {
  const result = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--import', 'tsx', 'bench/duties.ts', variant, String(n)], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  const match = /Collected : (\d+)/.exec(result.stderr);
  if (result.status !== 0 || !match) throw new Error(`valgrind failed for ${variant}: ${result.stderr.slice(-2000)}`);
  return Number(match[1]);
}

const [variant, count] = process.argv.slice(2);
if (variant !== undefined) {
  await run(variant, Number(count ?? 0));
} else {
  const n = Number(process.env.DUTIES_REQUESTS ?? 2000);
  console.log(`| variant | instructions per request (callgrind, ${n} requests minus 0) |\n|---|---|`);
  for (const name of Object.keys(VARIANTS)) {
    const perRequest = (instructions(name, n) - instructions(name, 0)) / n;
    console.log(`| ${name} | ${Math.round(perRequest).toLocaleString('en')} |`);
  }
}
