import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The options a command accepts, in `node:util` `parseArgs`'s form: `{ table: { type: 'string' } }`. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: `values` typed after the options, and the positionals. */
export type CommandArgs<T extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/**
 * A command's arguments parsed by `node:util` `parseArgs` (strict: an unknown option, a missing
 * value or a value given to a flag is a {@link UsageError}). Its messages name the option, never
 * the value, so a password typed by mistake (`--password …`) is not echoed.
 */
export function parseCommandArgs<T extends CommandOptions>(args: string[], options: T): CommandArgs<T> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(String(message).split('\n')[0]!);
    throw error;
  }
}

/** A command that could not do its job for a reason the operator can fix: one line, exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends CommandError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
