/**
 * Real processes: `fastify-users serve` for the end-to-end tests (signals, restarts, several
 * processes on one database) and the CLI itself for its one spawned smoke test. Everything else
 * runs in-process (./servers.js, ./cli.js): a process start through `tsx` costs a second or more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { FAST_ARGON2, ROOT, TEST_SECRET } from './constants.js';

const COMPILED = process.env.TEST_COMPILED_DIR;

/**
 * How tests start the sources' CLI, as `npm start` does. Under `npm test` that is the run's
 * compiled copy of src/cli.ts (TEST_COMPILED_DIR, scripts/compile-tests.mjs), the same code as
 * plain JavaScript: about a second of CPU less per start than through tsx (docs/testing.md, "How a
 * test file starts"). A file run on its own with `node --import tsx --test` goes through tsx.
 */
export const SOURCE_CLI = COMPILED ? ['--enable-source-maps', join(COMPILED, 'src', 'cli.js')] : ['--import', 'tsx', 'src/cli.ts'];

/** `node`'s arguments for a script (`-e`) that imports the sources: the compiled build under `npm test`, tsx otherwise. */
export const SOURCE_NODE_ARGS = COMPILED ? ['--enable-source-maps'] : ['--import', 'tsx'];

/** The URL such a script imports a source file by (`path` relative to the root, e.g. `src/store/sql/sql-store.ts`). */
export function sourceModule(path: string): string {
  return pathToFileURL(COMPILED ? join(COMPILED, path.replace(/\.ts$/, '.js')) : join(ROOT, path)).href;
}

/** A real `fastify-users serve` process and its base URL. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed, for assertions and for debugging failures. */
  output: () => string;
  /** Resolves once the output matches `pattern`; rejects with the output after `timeoutMs`. */
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `fastify-users serve` from the sources (SOURCE_CLI, or another `entry`, e.g. the bundle) on port 0 and
 * reads the bound address from its "Server listening at" log line (other files run at the same
 * time: no fixed ports). Cheap argon2 through the documented ARGON2_* tuning (allowed below OWASP
 * only with NODE_ENV=test).
 */
export async function startServer(env: Record<string, string>, entry: string[] = SOURCE_CLI): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...entry, 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SECRET_KEY: TEST_SECRET,
      COOKIE_SECURE: 'false',
      ARGON2_MEMORY_COST: String(FAST_ARGON2.memoryCost),
      ARGON2_TIME_COST: String(FAST_ARGON2.timeCost),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));

  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a loaded 2-core machine a process start alone can take several seconds.
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    child,
    url,
    output: () => output,
    waitForOutput: async (pattern, timeoutMs = 20_000) => {
      // Polled rather than timed: on a loaded machine the child may take seconds to get there.
      for (const deadline = Date.now() + timeoutMs; !pattern.test(output); await sleep(20)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in the output after ${timeoutMs} ms:\n${output}`);
      }
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}
