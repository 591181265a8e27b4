import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './migrations/0001-users-and-access-tokens.js';
import * as m0002 from './migrations/0002-action-tokens.js';
import * as m0003 from './migrations/0003-oauth-accounts.js';
import * as m0004 from './migrations/0004-second-factor.js';
import * as m0005 from './migrations/0005-session-invalidations.js';
import * as m0006 from './migrations/0006-oauth-email-verified.js';
import * as m0007 from './migrations/0007-session-authentication.js';
import * as m0008 from './migrations/0008-audit-log.js';
import * as m0009 from './migrations/0009-organizations.js';
import * as m0010 from './migrations/0010-api-keys.js';
import * as m0011 from './migrations/0011-email-sign-in.js';
import * as m0012 from './migrations/0012-oauth-server.js';
import * as m0013 from './migrations/0013-oauth-grant-notices.js';
import type { Dialect } from './schema.js';

export { SESSION_NOTICE_CHANNEL } from './migrations/0005-session-invalidations.js';

/** One migration file: its `up`, written once for both dialects. */
interface MigrationModule {
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/**
 * Every migration, one file each under `migrations/`, by the name the database records. Kysely
 * applies them in the names' order; a database migrated before keeps its records, so the names
 * never change. Append new migrations; never edit old ones. Imported statically (not read from
 * the folder at run time, as Kysely's FileMigrationProvider does) so the bundled server carries them.
 */
const MIGRATIONS: Readonly<Record<string, MigrationModule>> = {
  '0001_users_and_access_tokens': m0001,
  '0002_action_tokens': m0002,
  '0003_oauth_accounts': m0003,
  '0004_second_factor': m0004,
  '0005_session_invalidations': m0005,
  '0006_oauth_email_verified': m0006,
  '0007_session_authentication': m0007,
  '0008_audit_log': m0008,
  '0009_organizations': m0009,
  '0010_api_keys': m0010,
  '0011_email_sign_in': m0011,
  '0012_oauth_server': m0012,
  '0013_oauth_grant_notices': m0013,
};

/** Kysely's provider of our migrations, bound to a dialect. */
export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const [name, module] of Object.entries(MIGRATIONS)) {
      migrations[name] = { up: (db) => module.up(db, this.dialect) };
    }
    return migrations;
  }
}

/**
 * Brings the schema to the latest migration. Kysely's migrator takes a lock first (an advisory
 * lock on PostgreSQL), so instances starting together migrate once. Returns the names applied.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider: new CodeMigrationProvider(dialect) }).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
