#!/usr/bin/env node
import { CommandError, UsageError } from './cli/args.js';
import { ConfigError } from './core/errors.js';
import { buildServer, namedForEnvironment, readConfig } from './server.js';
import { openDatabase } from './store/sql/database.js';
import { migrateToLatest } from './store/sql/migrations.js';

const USAGE = `usage: fastify-users <command>

commands:
  serve                               run the HTTP service (PORT, HOST, DATABASE_URL, … from the environment)
  migrate                             create or upgrade the database schema and exit
  create-user <email> [--superuser] [--verified]
                                      create an account; the password is prompted for (no echo)
                                      or read from stdin's first line, never from the arguments
  purge-expired                       delete expired access, reset and verification tokens
  import <file.csv | sqlite:<path> | postgres://…> [--table users] [--oauth-table oauth_account]
                                      import email, hashed_password rows; bcrypt/argon2 hashes
                                      are kept and upgraded to argon2id at each user's next login;
                                      from a database, fastapi-users' linked provider accounts too`;

async function serve(): Promise<void> {
  const config = readConfig();
  const app = await buildServer(config);
  await app.listen({ port: config.port, host: config.host });
  // Drain in-flight requests and close pools on SIGTERM/SIGINT (process managers, Ctrl-C).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

async function migrate(): Promise<void> {
  const config = readConfig();
  const { db, dialect } = await openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    // Safe to run while instances start: the migrator's lock makes concurrent runs wait, not collide.
    const applied = await migrateToLatest(db, dialect);
    const where = config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@');
    console.log(applied.length > 0 ? `applied ${applied.join(', ')} to ${where}` : `${where} is up to date`);
  } finally {
    await db.destroy();
  }
}

/** The account commands, loaded only when one runs: `import` brings `pg` and CSV parsing, which `serve` does not need at start. */
const commands = () => import('./cli/commands.js');

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve();
    case 'migrate':
      return migrate();
    case 'create-user':
      return (await commands()).createUserCommand(readConfig(), rest);
    case 'purge-expired':
      return (await commands()).purgeExpiredCommand(readConfig(), rest);
    case 'import':
      return (await commands()).importCommand(readConfig(), rest);
    case 'help':
    case '--help':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A configuration problem is one line naming the variable (SPEC §2); anything else, the message only.
  if (error instanceof ConfigError) console.error(`configuration error: ${namedForEnvironment(error).message}`);
  else if (error instanceof UsageError) {
    console.error(`error: ${error.message}\n${USAGE}`);
    process.exit(2);
  } else if (error instanceof CommandError) console.error(`error: ${error.message}`);
  else console.error(`fatal: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
