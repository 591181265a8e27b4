// What each per-request duty costs: variants of the app, each adding one duty, answer
// GET /users/me (bearer, the session already known) through app.inject() in one process, in
// alternating rounds, and the CPU time (user + system) per request of each is compared.
//
//   node --import tsx bench/duties.ts [requests per round = 5000] [rounds = 5] [variant name filter]
//
// `perf stat -e instructions` would be steadier, but this VM exposes no hardware counters
// ("<not supported>"), and `valgrind --tool=callgrind` on Node with tsx took minutes per run
// before the first request; CPU time in alternating rounds, by median, is what is left.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { pino } from 'pino';
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
    await app.register(fastifyUsers, { databaseUrl: `sqlite:${join(dir, 'auth.db')}`, secretKey: SECRET, argon2: ARGON2, unsafeArgon2ForTests: true });
    return app;
  },
  'full server (+ request logging at info, OpenAPI routes, web page)': async (dir) =>
    buildServer(
      readConfig({
        DATABASE_URL: `sqlite:${join(dir, 'auth.db')}`,
        SECRET_KEY: SECRET,
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
        ARGON2_MEMORY_COST: '256',
        ARGON2_TIME_COST: '1',
      }),
      {
        logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
      },
    ),
  // The same server with its lines going where `npm start`'s go: a pipe to another process (a
  // terminal, a supervisor, a container runtime), written as pino writes by default (a blocking
  // write(2) per line) and as the server writes them (asynchronously, coalesced under load).
  'full server at info, lines to a pipe, one blocking write per line': async (dir) => full(dir, 'info', pino.destination({ dest: pipeFd(), sync: true })),
  'full server at info, lines to a pipe, asynchronous (as src/server.ts)': async (dir) => full(dir, 'info', pino.destination({ dest: pipeFd(), sync: false })),
  'full server at warn (no request lines)': async (dir) => full(dir, 'warn', pino.destination({ dest: pipeFd(), sync: false })),
};

function full(dir: string, level: string, logStream: { write(line: string): void }): Promise<FastifyInstance> {
  return buildServer(
    readConfig({
      DATABASE_URL: `sqlite:${join(dir, 'auth.db')}`,
      SECRET_KEY: SECRET,
      LOG_LEVEL: level,
      NODE_ENV: 'test',
      ARGON2_MEMORY_COST: '256',
      ARGON2_TIME_COST: '1',
    }),
    { logStream },
  );
}

/** The write end of a pipe whose reader (`cat > /dev/null`) is another process, as a supervisor's is. */
const readers: ChildProcess[] = [];
function pipeFd(): number {
  const reader = spawn('sh', ['-c', 'cat > /dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  readers.push(reader);
  return (reader.stdin as unknown as { _handle: { fd: number } })._handle.fd;
}

async function plugin(dir: string, sessionCache: boolean): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(fastifyUsers, {
    databaseUrl: `sqlite:${join(dir, 'auth.db')}`,
    secretKey: SECRET,
    argon2: ARGON2,
    unsafeArgon2ForTests: true,
    sessionCache,
  });
  return app;
}

/** A variant ready to answer, with the headers of its (already cached) session. */
async function prepare(variant: string, dir: string): Promise<{ app: FastifyInstance; headers: Record<string, string> }> {
  const app = await VARIANTS[variant]!(dir);
  await app.ready();
  let headers: Record<string, string> = {};
  if (!variant.startsWith('bare')) {
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'user0@bench.test', password: 'correct horse battery staple' } });
    const token = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=user0%40bench.test&password=correct+horse+battery+staple',
    });
    headers = { authorization: `Bearer ${token.json().access_token}` };
  }
  return { app, headers };
}

/** CPU microseconds per request over `n` requests. */
async function cpuPerRequest(app: FastifyInstance, headers: Record<string, string>, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i += 1) {
    const response = await app.inject({ method: 'GET', url: '/users/me', headers });
    if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}`);
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const n = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'fastify-users-duties-'));
try {
  const names = Object.keys(VARIANTS).filter((name) => name.includes(process.argv[4] ?? ''));
  const prepared = [];
  for (const [i, name] of names.entries()) prepared.push(await prepare(name, join(dir, String(i))));
  const samples: number[][] = names.map(() => []);
  for (let round = -1; round < rounds; round += 1) {
    for (const [i, { app, headers }] of prepared.entries()) {
      const us = await cpuPerRequest(app, headers, n);
      if (round >= 0) samples[i]!.push(us); // round -1 warms the JIT up
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`| variant (app.inject, in process) | CPU per request, median of ${rounds} × ${n} |\n|---|---|`);
  for (const [i, name] of names.entries()) console.log(`| ${name} | ${median(samples[i]!).toFixed(1)} µs |`);
  for (const { app } of prepared) await app.close();
} finally {
  for (const reader of readers) reader.kill();
  rmSync(dir, { recursive: true, force: true });
}
