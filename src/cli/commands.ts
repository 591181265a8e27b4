import { randomBytes } from 'node:crypto';
import { AccountTokens } from '../core/account-tokens.js';
import { AuthService } from '../core/auth-service.js';
import { normalizeEmail } from '../core/email.js';
import { AuthError } from '../core/errors.js';
import { resolveAuthOptions } from '../core/options.js';
import type { ServerConfig } from '../server.js';
import { withSessionChanges } from '../store/session-effects.js';
import { SQLStore } from '../store/sql/sql-store.js';
import type { Store } from '../core/store.js';
import type { AuditEvent } from '../core/audit.js';
import type { AuditStore } from '../features/audit/audit-store.js';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../features/audit/options.js';
import { openRedisSessionChannel } from '../server.js';
import { CommandError, parseCommandArgs, UsageError } from './args.js';
import { importUsers } from './import-users.js';
import { ProgressBar } from './progress.js';
import { readPassword } from './read-password.js';
import type { CLIStreams } from './streams.js';
import { importOAuthAccounts } from './import-oauth-accounts.js';
import { DEFAULT_IMPORT_TABLE, DEFAULT_OAUTH_IMPORT_TABLE, readUserSource } from './user-sources.js';
import { purgeExpiredArtifacts } from '../features/oauth-server/sql-adapter.js';
import { SigningKeys } from '../features/oauth-server/signing-keys.js';

/**
 * Opens the configured database (migrating it) and the domain service over it. With `REDIS_URL`
 * on PostgreSQL, running servers hear of session changes on Redis, so the CLI's writes are
 * published there too (docs/session-cache.md); `close` flushes them.
 */
async function openService(config: ServerConfig): Promise<{ service: AuthService; store: Store; sql: SQLStore; close(): Promise<void> }> {
  const options = resolveAuthOptions(config.auth, () => randomBytes(32).toString('base64url'));
  const opened = await SQLStore.open(config.databaseUrl);
  if (!config.redisUrl || opened.dialect !== 'postgres') {
    return { service: new AuthService(opened, options), store: opened, sql: opened, close: () => opened.close() };
  }
  const channel = await openRedisSessionChannel(undefined, config);
  const store = withSessionChanges(
    opened,
    (change) => channel.publish?.(change),
    () => {},
  );
  return {
    service: new AuthService(store, options),
    store,
    sql: opened,
    close: async () => {
      await channel.close();
      await opened.close();
    },
  };
}

/**
 * Records an event of a command in the audit log (docs/audit.md): the actor is the operator,
 * unknown to us (`null`), and there is no address. A store without an audit table records nothing.
 */
async function recordFromCLI(store: Store, event: AuditEvent): Promise<void> {
  await (store as Store & { audit?: AuditStore }).audit?.append(event, new Date());
}

/** `create-user <email> [--superuser] [--verified]`: the password comes from a prompt or stdin, never argv. */
export async function createUserCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const args = parseCommandArgs(argv, { superuser: { type: 'boolean' }, verified: { type: 'boolean' } });
  const [email, ...extra] = args.positionals;
  if (!email || extra.length > 0) throw new UsageError('create-user takes one email');
  const password = await readPassword(`Password for ${email}: `, io, { confirm: true });
  const { service, store, close } = await openService(config);
  try {
    const user = await service.register(email, password, { isSuperuser: args.values.superuser === true, isVerified: args.values.verified === true });
    await recordFromCLI(store, {
      type: 'cli.user_created',
      actorUserId: null,
      subjectUserId: user.id,
      ip: null,
      userAgent: null,
      detail: { command: 'create-user', is_superuser: user.isSuperuser },
    });
    const role = user.isSuperuser ? 'superuser' : 'user';
    io.stdout.write(`created ${role} ${user.email} (id ${user.id}${user.isVerified ? ', verified' : ''})\n`);
  } catch (error) {
    // Registered errors (taken email, policy) are the operator's to fix: one line, exit 1.
    if (error instanceof AuthError) throw new CommandError(typeof error.detail === 'string' ? error.detail : error.message);
    throw error;
  } finally {
    await close();
  }
}

/**
 * `revoke-sessions <email>`: signs a user out everywhere (a lost device, a suspected leak). Running
 * servers refuse the sessions within a second: the database announces the change to them
 * (docs/session-cache.md).
 */
export async function revokeSessionsCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const [email, ...extra] = parseCommandArgs(argv, {}).positionals;
  if (!email || extra.length > 0) throw new UsageError('revoke-sessions takes one email');
  const { service, store, close } = await openService(config);
  try {
    const user = await store.findUserByEmail(normalizeEmail(email));
    if (!user) throw new CommandError(`no user with email ${email}`);
    const count = await service.revokeUserTokens(user.id);
    await recordFromCLI(store, {
      type: 'session.revoked',
      actorUserId: null,
      subjectUserId: user.id,
      ip: null,
      userAgent: null,
      detail: { scope: 'all', count },
    });
    io.stdout.write(`revoked ${count} session(s) of ${user.email}\n`);
  } finally {
    await close();
  }
}

/** `purge-expired`: deletes expired access, reset and verification tokens. */
export async function purgeExpiredCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const { positionals } = parseCommandArgs(argv, {});
  if (positionals.length > 0) throw new UsageError('purge-expired takes no arguments');
  const { service, store, sql, close } = await openService(config);
  try {
    const access = await service.purgeExpiredTokens();
    const action = await new AccountTokens(service, config.auth.publicUrl ?? '').purgeExpired();
    const artifacts = await purgeExpiredArtifacts(sql.db, sql.dialect, service.options.now());
    const apiKeys = await store.apiKeys.deleteDeadApiKeys(service.options.now());
    io.stdout.write(`purged ${access} expired access token(s) and ${action} expired reset/verification token(s)\n`);
    const retentionDays = (config.auth as { auditRetentionDays?: number }).auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    const audit = (store as Store & { audit?: AuditStore }).audit;
    if (retentionDays > 0 && audit) {
      const now = service.options.now();
      const pruned = await audit.prune(new Date(now.getTime() - retentionDays * 86_400_000), now);
      io.stdout.write(`pruned ${pruned} security event(s) older than ${retentionDays} days\n`);
    }
    io.stdout.write(`purged ${artifacts} expired OAuth server code(s), token(s) and session(s)\n`);
    io.stdout.write(`purged ${apiKeys} revoked or expired API key(s)\n`);
  } finally {
    await close();
  }
}

/**
 * `import <file.csv | sqlite:path | postgres://…> [--table users] [--oauth-table oauth_account]`:
 * users with their existing hashes, and from a database their linked provider accounts.
 */
export async function importCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const args = parseCommandArgs(argv, {
    table: { type: 'string', default: DEFAULT_IMPORT_TABLE },
    'oauth-table': { type: 'string', default: DEFAULT_OAUTH_IMPORT_TABLE },
  });
  const [source, ...extra] = args.positionals;
  if (!source || extra.length > 0) throw new UsageError('import takes one source');
  const input = await readUserSource(source, args.values.table, args.values['oauth-table']);
  const { service, store, close } = await openService(config);
  try {
    io.stderr.write(`importing ${input.rows.length} row(s) from ${input.describe.replace(/\/\/[^@/]*@/, '//***@')}\n`);
    const summary = await importUsers(store, input.rows, service.options.now(), new ProgressBar(input.rows.length, io.stderr));
    for (const problem of summary.problems) io.stderr.write(`skipped ${problem}\n`);
    io.stdout.write(`imported ${summary.imported}, skipped ${summary.duplicates} duplicate(s), ${summary.invalid} invalid\n`);
    let linked = 0;
    if (input.oauthRows.length > 0) {
      const links = await importOAuthAccounts(store, input.rows, input.oauthRows, summary.createdUserIds, service.options.now());
      for (const problem of links.problems) io.stderr.write(`skipped ${problem}\n`);
      io.stdout.write(`linked ${links.linked} provider account(s), skipped ${links.duplicates} duplicate(s), ${links.invalid} invalid\n`);
      linked = links.linked;
    }
    // One event for the run: an import of a million rows appends one link to the chain, not a million.
    await recordFromCLI(store, {
      type: 'cli.users_imported',
      actorUserId: null,
      subjectUserId: null,
      ip: null,
      userAgent: null,
      detail: { command: 'import', imported: summary.imported, duplicates: summary.duplicates, invalid: summary.invalid, linked },
    });
  } finally {
    await close();
  }
}

/**
 * `keys rotate|prune|list`: the OAuth server's signing keys (docs/oauth-server.md, "Storage and
 * keys"). `rotate` adds a new current key — running servers sign with it after their restart, and
 * the old key stays published until `prune` deletes the retired ones.
 */
export async function keysCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const [action, ...extra] = parseCommandArgs(argv, {}).positionals;
  if (!action || !['rotate', 'prune', 'list'].includes(action) || extra.length > 0) throw new UsageError('keys takes one of rotate, prune, list');
  const store = await SQLStore.open(config.databaseUrl);
  try {
    // Without SECRET_KEY, `rotate` fails naming it (a key sealed under a random key would open nowhere); list and prune need none.
    const secretKeys = config.auth.secretKey === undefined ? [] : [config.auth.secretKey, ...(config.auth.secretKeyFallbacks ?? [])];
    const keys = new SigningKeys(store.db, store.dialect, { secretKeys });
    if (action === 'rotate') {
      const kid = await keys.rotate();
      const older = (await keys.list()).length - 1;
      io.stdout.write(`new signing key ${kid} is current; ${older} older key(s) stay published until "keys prune"\n`);
      io.stdout.write('restart every server to sign with it\n');
    } else if (action === 'prune') {
      const pruned = await keys.prune();
      io.stdout.write(`pruned ${pruned.length} retired signing key(s)${pruned.length > 0 ? `: ${pruned.join(', ')}` : ''}\n`);
    } else {
      for (const key of await keys.list()) {
        io.stdout.write(
          `${key.kid}  created ${key.createdAt.toISOString()}  ${key.retiredAt === null ? 'current' : `retired ${key.retiredAt.toISOString()}`}\n`,
        );
      }
    }
  } finally {
    await store.close();
  }
}
