/**
 * What a command reads and writes. The bin (src/cli.ts) passes the process's own streams; the
 * tests pass their own, so every command runs in-process with what a terminal would show captured.
 */
export interface CLIStreams {
  /** The environment to configure from; absent means the process's own (read in src/server.ts). */
  env?: NodeJS.ProcessEnv;
  /** Where create-user reads the password: a terminal (prompted, no echo) or a pipe (first line). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** Results (pipeable). */
  stdout: NodeJS.WritableStream;
  /** Prompts, progress and errors. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}
