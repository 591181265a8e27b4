import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server under test, running in its own process. */
export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to the first answer of the readiness probe. */
  startMs: number;
  /** Resident set size now, in MiB (Linux /proc). */
  rssMiB(): number;
  /** Null while running; else how it ended and the last lines it printed. */
  exitReport(): string | null;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Path polled until it answers 200; default `/health`. */
  readyPath?: string;
  timeoutMs?: number;
  cwd?: string;
  /** The port to listen on (default: a free one); a server whose URL must be known before it starts (an issuer) picks its own. */
  port?: number;
}

/** A free TCP port on the loopback (asked of the OS, then released for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a server with `PORT` set and polls `readyPath` every few milliseconds until it answers
 * 200; the time from spawn to that answer is the start-up time.
 */
export async function startServer(options: SpawnOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const deadline = started + (options.timeoutMs ?? 60_000);
  const probe = `${url}${options.readyPath ?? '/health'}`;
  for (;;) {
    if (exited !== undefined) throw new Error(`${options.name} exited with ${exited} before it was ready:\n${output}`);
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready in time:\n${output}`);
    }
    try {
      const response = await fetch(probe);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  const startMs = performance.now() - started;
  return {
    name: options.name,
    url,
    pid: child.pid!,
    child,
    startMs,
    rssMiB: () => rssMiB(child.pid!),
    exitReport: () => (child.exitCode === null && child.signalCode === null ? null : `exited (${child.exitCode ?? child.signalCode}):\n${output}`),
    stop: () => stopChild(child),
  };
}

/** Resident set size of a process in MiB, from /proc/<pid>/status; NaN where unavailable. */
export function rssMiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The fields of /proc/<pid>/stat after the command name; null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * `pid` and every process below it. `npm start` is npm → sh → tsx → node: the server that
 * answers is a grandchild's child, and every process of the chain is part of what the command costs.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]); // stat field 4: the parent's pid
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/**
 * CPU time (user + system) a process and its descendants have used so far, in ms, from
 * /proc/<pid>/stat; NaN elsewhere.
 */
export function cpuMs(pid: number): number {
  let total = 0;
  for (const member of existsSync('/proc') ? processTree(pid) : [pid]) {
    const fields = statFields(member);
    if (!fields) {
      if (member === pid) return Number.NaN;
      continue;
    }
    // fields[11] and [12] are utime and stime (stat fields 14 and 15), in clock ticks of 10 ms.
    total += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return total;
}

/**
 * SIGTERM to the child and every process below it (npm and tsx relay signals, but a wrapper that
 * does not would leave a server behind), then SIGKILL if the child has not exited within 5 s.
 */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tree = existsSync('/proc') ? processTree(child.pid!) : [child.pid!];
  for (const pid of tree.reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(timer);
}

/**
 * `node --import tsx <script>`: the runtime code is the same as compiled, minus the build step.
 * Under `npm test` (the smoke run, test/bench/smoke.test.ts) the run's compiled copy of the script
 * instead (TEST_COMPILED_DIR, scripts/compile-tests.mjs): the same code, about a second of CPU less
 * per process (docs/testing.md). A bench run never has that variable, so its figures are tsx's.
 */
export function tsxArgs(script: string, ...rest: string[]): string[] {
  const compiled = process.env.TEST_COMPILED_DIR;
  return compiled ? [join(compiled, script.replace(/\.ts$/, '.js')), ...rest] : ['--import', 'tsx', script, ...rest];
}

/** Runs a node script (TypeScript through tsx, or its compiled copy under `npm test`: {@link tsxArgs}) to completion and returns its stdout. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const [script, ...rest] = args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsxArgs(script!, ...rest), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}
