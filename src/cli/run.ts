import { ConfigError } from '../core/errors.js';
import { buildServer, namedForEnvironment, readConfig } from '../server.js';
import { openDatabase } from '../store/sql/database.js';
import { migrateToLatest } from '../store/sql/migrations.js';
import { CommandError, UsageError } from './args.js';
import type { CLIStreams } from './streams.js';

export const USAGE = `usage: fastify-users <command>

commands:
  serve                               run the HTTP service (PORT, HOST, DATABASE_URL, … from the environment)
  migrate                             create or upgrade the database schema and exit
  create-user <email> [--superuser] [--verified]
                                      create an account; the password is prompted for (no echo)
                                      or read from stdin's first line, never from the arguments
  revoke-sessions <email>             sign a user out everywhere (running servers notice within 1 s)
  purge-expired                       delete expired access, reset and verification tokens,
                                      security events older than AUDIT_RETENTION_DAYS, and the
                                      OAuth server's expired codes and tokens, and revoked or
                                      expired API keys
  events export [--since <time>]      write the audit log as JSON lines, oldest first
  events verify                       check the audit log's hash chain; exit 1 naming the first broken row
  keys rotate | prune | list          the OAuth server's signing keys: rotate adds a new current key
                                      (the old one stays published), prune deletes retired keys
  clients create --name <name> [--redirect-uri <uri>]… [--grant <type>]… [--public] [--native]
                 [--first-party] [--scope "<scopes>"]
  clients list | delete <client_id>   the OAuth server's clients; create prints a confidential
                                      client's secret once
  import <file.csv | sqlite:<path> | postgres://…> [--table users] [--oauth-table oauth_account]
                                      import email, hashed_password rows; bcrypt/argon2 hashes
                                      are kept and upgraded to argon2id at each user's next login;
                                      from a database, fastapi-users' linked provider accounts too
  check-breached-passwords <dir>      check that a folder of Pwned Passwords range files is complete
                                      (all 1,048,576 prefixes) for BREACHED_PASSWORDS=range-file:<dir>`;

async function serve(io: CLIStreams): Promise<void> {
  const config = readConfig(io.env);
  const app = await buildServer(config);
  await app.listen({ port: config.port, host: config.host });
  // Drain in-flight requests and close pools on SIGTERM/SIGINT (process managers, Ctrl-C).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

async function migrate(io: CLIStreams): Promise<void> {
  const config = readConfig(io.env);
  const { db, dialect } = await openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    // Safe to run while instances start: the migrator's lock makes concurrent runs wait, not collide.
    const applied = await migrateToLatest(db, dialect);
    const where = config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@');
    io.stdout.write(`${applied.length > 0 ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`}\n`);
  } finally {
    await db.destroy();
  }
}

/** The account commands, loaded only when one runs: `import` brings `pg` and CSV parsing, which `serve` does not need at start. */
const commands = () => import('./commands.js');

async function dispatch(argv: string[], io: CLIStreams): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(io);
      return 0;
    case 'migrate':
      await migrate(io);
      return 0;
    case 'create-user':
      await (await commands()).createUserCommand(readConfig(io.env), rest, io);
      return 0;
    case 'revoke-sessions':
      await (await commands()).revokeSessionsCommand(readConfig(io.env), rest, io);
      return 0;
    case 'purge-expired':
      await (await commands()).purgeExpiredCommand(readConfig(io.env), rest, io);
      return 0;
    case 'events':
      await (await import('../features/audit/events-command.js')).eventsCommand(readConfig(io.env), rest, io);
      return 0;
    case 'keys':
      await (await commands()).keysCommand(readConfig(io.env), rest, io);
      return 0;
    case 'clients':
      await (await import('../features/oauth-server/clients-command.js')).clientsCommand(readConfig(io.env), rest, io);
      return 0;
    case 'import':
      await (await commands()).importCommand(readConfig(io.env), rest, io);
      return 0;
    case 'check-breached-passwords':
      await (await import('../features/breached-passwords/check-command.js')).checkBreachedPasswordsCommand(rest, io);
      return 0;
    case 'help':
    case '--help':
      io.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      io.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

/**
 * Runs one command and resolves with the exit code; errors become one line on stderr, never a
 * stack trace (an operator reads them, and a trace can carry a connection string).
 */
export async function runCLI(argv: string[], io: CLIStreams): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    // A configuration problem is one line naming the variable (see the README's configuration table).
    if (error instanceof ConfigError) io.stderr.write(`configuration error: ${namedForEnvironment(error).message}\n`);
    else if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n${USAGE}\n`);
      return 2;
    } else if (error instanceof CommandError) io.stderr.write(`error: ${error.message}\n`);
    else io.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
