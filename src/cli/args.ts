/** Positional arguments and `--flag` / `--name value` / `--name=value` options of a command. */
export interface ParsedArgs {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/** Parses argv; `valued` names the options that take a value. Unknown options are errors. */
export function parseArgs(argv: string[], allowed: { flags?: string[]; valued?: string[] }): ParsedArgs {
  const result: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      result.positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (allowed.valued?.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      result.values.set(name, value);
    } else if (allowed.flags?.includes(name) && inline === undefined) {
      result.flags.add(name);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return result;
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
