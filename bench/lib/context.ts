import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordContext } from '../../src/core/password.js';
import { load, type LoadResult, type RequestSpec } from './load.js';
import { cpuMs, startServer, tsxArgs, type ServerProcess } from './process.js';
import { BENCH_PASSWORD, sampleTokens, seedSqlite } from './seed.js';

/** How long and how hard each row runs. */
export interface BenchConfig {
  mode: 'full' | 'quick' | 'smoke';
  rounds: number;
  /** One discarded round before the measured ones, so every contender runs JIT-compiled code. */
  warmup: boolean;
  seconds: number;
  connections: number;
  /** Tokens each bearer pool rotates through (≥ 1,000). */
  pool: number;
  /** Row 5's sizes: small and large databases. */
  scale: { small: { users: number; tokens: number }; large: { users: number; tokens: number } };
  /** Start-ups measured per command in row 6. */
  startups: number;
  postgresUrl: string;
}

/** The environment our server runs with in every row (argon2 at its OWASP defaults). */
export const OUR_ENV: NodeJS.ProcessEnv = {
  LOG_LEVEL: 'warn',
  SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789abcdef',
  COOKIE_SECURE: 'false',
  NODE_ENV: 'production',
  // The login rows drive /token from one address far past any sane limit: they measure hashing,
  // not the limiter (which the test suite covers).
  THROTTLE_ENABLED: 'false',
};

/** Small seeded database of rows 1–4: users, tokens and the login account. */
export const BASE_SEED = { users: 1000, tokens: 2000 };

// Where rows and tools have always found it.
export { tsxArgs };

/**
 * State shared by the rows: a temp folder, the OWASP hash every seeded user has, and servers
 * started once and stopped at the end.
 */
export class BenchContext {
  readonly config: BenchConfig;
  readonly dir = mkdtempSync(join(tmpdir(), 'fastify-users-bench-'));
  private readonly servers: ServerProcess[] = [];
  private hash: Promise<string> | undefined;
  private baseDb: Promise<string> | undefined;
  private cache = new Map<string, Promise<ServerProcess>>();

  constructor(config: BenchConfig) {
    this.config = config;
  }

  /** argon2id of the bench password at the real OWASP parameters (m=19456, t=2, p=1). */
  hashedPassword(): Promise<string> {
    this.hash ??= new PasswordContext().hashPassword(BENCH_PASSWORD);
    return this.hash;
  }

  /** The seeded SQLite file of rows 1–4 (each server gets its own copy of the seed). */
  async seededSqlite(name: string, plan = BASE_SEED): Promise<string> {
    const path = join(this.dir, `${name}.db`);
    await seedSqlite(path, { ...plan, hashedPassword: await this.hashedPassword() });
    return path;
  }

  /** Bearer pool of the base seed. */
  bearerPool(totalTokens = BASE_SEED.tokens): string[] {
    return sampleTokens(totalTokens, this.config.pool);
  }

  /** Starts a server once per key and stops it at the end of the run. */
  server(key: string, start: () => Promise<ServerProcess>): Promise<ServerProcess> {
    let server = this.cache.get(key);
    if (!server) {
      server = start().then((s) => {
        this.servers.push(s);
        return s;
      });
      this.cache.set(key, server);
    }
    return server;
  }

  /** Our server (`src/cli.ts serve`) on the base seed. */
  ours(): Promise<ServerProcess> {
    return this.server('ours', async () =>
      startServer({
        name: 'ours',
        command: process.execPath,
        args: tsxArgs('src/cli.ts', 'serve'),
        env: { ...OUR_ENV, DATABASE_URL: `sqlite:${await this.seededSqlite('ours')}` },
      }),
    );
  }

  /** The bare Fastify ceiling. */
  bare(): Promise<ServerProcess> {
    return this.server('bare', () => startServer({ name: 'bare', command: process.execPath, args: tsxArgs('bench/servers/bare.ts') }));
  }

  /** The hand-written bearer check (bench/servers/hand-written.ts) on its own copy of the base seed. */
  handWritten(): Promise<ServerProcess> {
    return this.server('hand-written', async () =>
      startServer({
        name: 'hand-written',
        command: process.execPath,
        args: tsxArgs('bench/servers/hand-written.ts'),
        env: { HW_DATABASE: await this.seededSqlite('hand-written') },
      }),
    );
  }

  /**
   * Drives one server for one round with this run's duration and connections; also measures the
   * server's CPU time per successful request, which a busy shared machine disturbs far less than
   * throughput.
   */
  async drive(server: ServerProcess, requests: RequestSpec[], connections = this.config.connections): Promise<LoadResult & { cpuUsPerRequest: number }> {
    const before = cpuMs(server.pid);
    const result = await load({ url: server.url, requests, connections, durationSeconds: this.config.seconds });
    const ended = server.exitReport();
    if (ended !== null) throw new Error(`${server.name} ${ended}`);
    if (result.rps === 0) throw new Error(`${server.name} answered no 2xx in a round (${result.non2xx} non-2xx, ${result.errors} errors)`);
    const ok = result.rps * this.config.seconds;
    return { ...result, cpuUsPerRequest: ((cpuMs(server.pid) - before) * 1000) / ok };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs the named measurements in alternating rounds (A B C A B C …) so that drift on a shared
 * machine hits every contender alike; returns each one's samples. With `warmup`, a first round
 * runs and is discarded: V8 optimises a server's hot code only after it has run a while, and a
 * cold first round would measure the compiler rather than the server.
 */
export async function alternate(rounds: number, contenders: Record<string, () => Promise<number>>, warmup = false): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let round = warmup ? -1 : 0; round < rounds; round++) {
    for (const [name, measure] of Object.entries(contenders)) {
      const value = await measure();
      if (round >= 0) samples[name]!.push(value);
    }
  }
  return samples;
}

/** Bearer requests for GET /users/me, one per token of the pool. */
export function bearerRequests(tokens: string[], path = '/users/me'): RequestSpec[] {
  return tokens.map((token) => ({ path, headers: { authorization: `Bearer ${token}` } }));
}

/** Asserts that a request answers 200 before it is measured (a benchmark of 401s is worthless). */
export async function expectOk(server: ServerProcess, spec: RequestSpec): Promise<string> {
  const response = await fetch(server.url + spec.path, { method: spec.method ?? 'GET', headers: spec.headers, body: spec.body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${server.name} ${spec.method ?? 'GET'} ${spec.path} answered ${response.status}: ${text.slice(0, 200)}`);
  return text;
}
