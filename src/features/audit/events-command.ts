import { once } from 'node:events';
import { CommandError, parseCommandArgs, UsageError } from '../../cli/args.js';
import type { CLIStreams } from '../../cli/streams.js';
import type { ServerConfig } from '../../server.js';
import { SQLStore } from '../../store/sql/sql-store.js';
import { toExportedEvent } from './event-view.js';

const USAGE = 'events takes `export [--since <time>]` or `verify`';

/**
 * `events export [--since <time>]` writes the audit log as JSON lines, oldest first, every field
 * with the hashes (so a copy can be verified elsewhere); `events verify` walks the chain and exits
 * 1 naming the first broken row (docs/audit.md). Both read the configured database.
 */
export async function eventsCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const args = parseCommandArgs(argv, { since: { type: 'string' } });
  const [action, ...extra] = args.positionals;
  if (extra.length > 0 || (action !== 'export' && action !== 'verify')) throw new UsageError(USAGE);
  if (action === 'verify' && args.values.since !== undefined) throw new UsageError('events verify takes no --since: the chain is checked whole');
  const since = args.values.since === undefined ? undefined : new Date(args.values.since);
  if (since !== undefined && Number.isNaN(since.getTime()))
    throw new UsageError(`--since ${args.values.since} is not a time (ISO 8601, e.g. 2030-01-31T00:00:00Z)`);
  const store = await SQLStore.open(config.databaseUrl);
  try {
    if (action === 'export') {
      for await (const event of store.audit.stream(since)) {
        // Respect back-pressure: an export piped to a slow consumer must not buffer the whole log.
        if (!io.stdout.write(`${JSON.stringify(toExportedEvent(event))}\n`)) await once(io.stdout, 'drain');
      }
      return;
    }
    const result = await store.audit.verify();
    if (!result.ok) throw new CommandError(`the audit chain is broken at row ${result.brokenId}: ${result.reason} (${result.count} rows before it verified)`);
    io.stdout.write(
      result.count === 0 ? 'the audit log is empty\n' : `the audit chain verifies: ${result.count} events, ids ${result.firstId}–${result.lastId}\n`,
    );
  } finally {
    await store.close();
  }
}
