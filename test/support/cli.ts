/**
 * The CLI in this process: `runCLI` (src/cli/run.ts) with the arguments, environment and stdin
 * given, and what it wrote to stdout and stderr captured. Spawning `tsx src/cli.ts` costs a second
 * or more per run; test/cli/smoke.test.ts keeps one run of the real command.
 */
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { runCLI } from '../../src/cli/run.js';

/** A finished command: its exit code and output. */
export interface CLIRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream to hand the command, and everything written to it once it is ended. */
function capture(): { stream: PassThrough; text: () => Promise<string> } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return {
    stream,
    text: async () => {
      stream.end();
      await finished(stream);
      return text;
    },
  };
}

/**
 * Runs `fastify-users <args>` with exactly `env` as its environment (nothing of this process's
 * own, as for a child started with that env) and `stdin` as piped input.
 */
export async function cli(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CLIRun> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCLI(args, {
    env: { LOG_LEVEL: 'silent', ...options.env },
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { code, stdout: await stdout.text(), stderr: await stderr.text() };
}
