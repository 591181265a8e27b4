import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FAST_ARGON2, TEST_SECRET } from '../helpers.js';

/** The project root, so tests can run the CLI the way `npm start` does. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A real `fastify-users serve` process and its base URL. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed, for assertions and for debugging failures. */
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `node --import tsx src/cli.ts serve` (or another `entry`, e.g. the bundle) on port 0 and
 * reads the bound address from its "Server listening at" log line (other engineers run tests at
 * the same time: no fixed ports). Cheap argon2 through the documented ARGON2_* tuning (allowed
 * below OWASP only with NODE_ENV=test).
 */
export async function startServer(env: Record<string, string>, entry: string[] = ['--import', 'tsx', 'src/cli.ts']): Promise<ServerProcess> {
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
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${output}`)), 20_000);
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
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Registers over HTTP and returns a bearer token from `/token`. */
export async function registerAndLogin(url: string, email: string, password: string): Promise<string> {
  const registered = await fetch(`${url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  return login(url, email, password);
}

/** `POST /token` and returns the access token (throws otherwise). */
export async function login(url: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
