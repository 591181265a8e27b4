import { Kysely, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './schema.js';

/**
 * Migrations shipped as code (Kysely's provider), written once for both dialects: the few column
 * types that differ are chosen by `types(dialect)`. Append new migrations; never edit old ones.
 */
function types(dialect: Dialect) {
  return dialect === 'postgres'
    ? { time: 'timestamptz', bool: 'boolean', true: sql`true`, false: sql`false` } as const
    : { time: 'text', bool: 'integer', true: sql`1`, false: sql`0` } as const;
}

export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  const t = types(dialect);
  return {
    '0001_users_and_access_tokens': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
          )
          .addColumn('email', 'varchar(320)', (col) => col.notNull())
          .addColumn('hashed_password', 'varchar(1024)', (col) => col.notNull())
          .addColumn('is_active', t.bool, (col) => col.notNull().defaultTo(t.true))
          .addColumn('is_superuser', t.bool, (col) => col.notNull().defaultTo(t.false))
          .addColumn('is_verified', t.bool, (col) => col.notNull().defaultTo(t.false))
          .addColumn('created_at', t.time, (col) => col.notNull())
          .addColumn('updated_at', t.time, (col) => col.notNull())
          .execute();
        // Emails are stored normalised, so a plain unique index is the case-insensitive guarantee.
        await db.schema.createIndex('users_email_key').unique().on('users').column('email').execute();

        await db.schema
          .createTable('access_tokens')
          .addColumn('token', 'varchar(64)', (col) => col.primaryKey())
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('expiration_date', t.time, (col) => col.notNull())
          .addColumn('created_at', t.time, (col) => col.notNull())
          .addColumn('last_used_at', t.time, (col) => col.notNull())
          .addColumn('user_agent', 'varchar(512)')
          .addColumn('ip', 'varchar(64)')
          .execute();
        await db.schema.createIndex('access_tokens_user_id_idx').on('access_tokens').column('user_id').execute();
        await db.schema.createIndex('access_tokens_expiration_idx').on('access_tokens').column('expiration_date').execute();
      },
    },
    '0002_action_tokens': {
      async up(db: Kysely<any>) {
        // Password-reset and email-verification tokens (docs/api.md): only the SHA-256 digest is kept,
        // like access tokens, so a leaked table cannot be replayed (OWASP Forgot Password CS).
        await db.schema
          .createTable('action_tokens')
          .addColumn('token', 'varchar(64)', (col) => col.primaryKey())
          .addColumn('purpose', 'varchar(16)', (col) => col.notNull())
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          // Verification is bound to the address it was sent to.
          .addColumn('email', 'varchar(320)', (col) => col.notNull())
          // SHA-256 of the password hash at issue: a reset token dies once the password changes.
          .addColumn('password_fingerprint', 'varchar(64)')
          .addColumn('expiration_date', t.time, (col) => col.notNull())
          .addColumn('created_at', t.time, (col) => col.notNull())
          .execute();
        await db.schema.createIndex('action_tokens_user_id_idx').on('action_tokens').column('user_id').execute();
        await db.schema.createIndex('action_tokens_expiration_idx').on('action_tokens').column('expiration_date').execute();
      },
    },
    '0003_oauth_accounts': {
      async up(db: Kysely<any>) {
        // Identities at other providers (docs/oauth.md). fastapi-users' column names, so its
        // `oauth_account` rows import 1:1; provider access and refresh tokens are not kept.
        await db.schema
          .createTable('oauth_accounts')
          .addColumn('id', 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
          )
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('oauth_name', 'varchar(100)', (col) => col.notNull())
          .addColumn('account_id', 'varchar(320)', (col) => col.notNull())
          .addColumn('account_email', 'varchar(320)', (col) => col.notNull())
          .addColumn('created_at', t.time, (col) => col.notNull())
          .execute();
        // One identity belongs to one user at most: the index decides concurrent links.
        await db.schema.createIndex('oauth_accounts_identity_key').unique().on('oauth_accounts').columns(['oauth_name', 'account_id']).execute();
        await db.schema.createIndex('oauth_accounts_user_id_idx').on('oauth_accounts').column('user_id').execute();
      },
    },
    '0004_second_factor': {
      async up(db: Kysely<any>) {
        // TOTP (RFC 6238): the secret only encrypted (AES-256-GCM, docs/two-factor.md), and the
        // last accepted time step, so a code is accepted once whichever instance sees it.
        await db.schema
          .createTable('totp_secrets')
          .addColumn('user_id', 'integer', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
          .addColumn('encrypted_secret', 'varchar(256)', (col) => col.notNull())
          .addColumn('confirmed', t.bool, (col) => col.notNull().defaultTo(t.false))
          .addColumn('last_used_step', 'bigint')
          .addColumn('created_at', t.time, (col) => col.notNull())
          .execute();

        // Recovery codes: SHA-256 digests only, each single use.
        await db.schema
          .createTable('recovery_codes')
          .addColumn('digest', 'varchar(64)', (col) => col.primaryKey())
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('used_at', t.time)
          .addColumn('created_at', t.time, (col) => col.notNull())
          .execute();
        await db.schema.createIndex('recovery_codes_user_id_idx').on('recovery_codes').column('user_id').execute();

        // WebAuthn credentials (passkeys): the public key and the signature counter of each.
        await db.schema
          .createTable('passkeys')
          .addColumn('id', 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
          )
          .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
          .addColumn('credential_id', 'varchar(1400)', (col) => col.notNull())
          .addColumn('public_key', 'text', (col) => col.notNull())
          .addColumn('counter', 'bigint', (col) => col.notNull())
          .addColumn('transports', 'varchar(256)', (col) => col.notNull())
          .addColumn('name', 'varchar(100)', (col) => col.notNull())
          .addColumn('created_at', t.time, (col) => col.notNull())
          .addColumn('last_used_at', t.time)
          .execute();
        await db.schema.createIndex('passkeys_credential_id_key').unique().on('passkeys').column('credential_id').execute();
        await db.schema.createIndex('passkeys_user_id_idx').on('passkeys').column('user_id').execute();

        // WebAuthn challenges: by digest, single use (consumed by DELETE … RETURNING), short-lived.
        await db.schema
          .createTable('webauthn_challenges')
          .addColumn('digest', 'varchar(64)', (col) => col.primaryKey())
          .addColumn('purpose', 'varchar(16)', (col) => col.notNull())
          .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
          .addColumn('expiration_date', t.time, (col) => col.notNull())
          .execute();
        await db.schema.createIndex('webauthn_challenges_expiration_idx').on('webauthn_challenges').column('expiration_date').execute();
      },
    },
    '0005_session_invalidations': {
      async up(db: Kysely<any>) {
        // Instances may keep validated sessions in memory (docs/session-cache.md); the database
        // itself announces every change that ends or alters a session, so no writer (another
        // instance, the CLI, an operator's SQL) can forget to. The triggers fire in the writing
        // transaction: the notice exists exactly when the change commits. Tokens are named by
        // their digest (the table's key), never the token.
        if (dialect === 'postgres') {
          // NOTIFY is delivered to listeners at commit, in commit order (PostgreSQL manual, NOTIFY).
          await sql`
            create function fastify_users_session_notice() returns trigger language plpgsql as $$
            begin
              if TG_TABLE_NAME = 'users' then
                perform pg_notify(${sql.lit(SESSION_NOTICE_CHANNEL)}, 'u:' || OLD.id);
              else
                perform pg_notify(${sql.lit(SESSION_NOTICE_CHANNEL)}, 't:' || OLD.token);
              end if;
              return null;
            end $$`.execute(db);
          await sql`create trigger users_session_notice after update or delete on users
            for each row execute function fastify_users_session_notice()`.execute(db);
          await sql`create trigger access_tokens_session_notice
            after delete or update of token, user_id, expiration_date on access_tokens
            for each row execute function fastify_users_session_notice()`.execute(db);
          return;
        }
        // SQLite has no notification: the changes are logged, and other processes on the file
        // read the log when SQLite's change counter (PRAGMA data_version) moves.
        await db.schema
          .createTable('session_invalidations')
          .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
          .addColumn('user_id', 'integer')
          .addColumn('token', 'varchar(64)')
          .addColumn('created_at', t.time, (col) => col.notNull().defaultTo(sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`))
          .execute();
        await sql`create trigger users_session_update after update on users begin
          insert into session_invalidations (user_id) values (old.id); end`.execute(db);
        await sql`create trigger users_session_delete after delete on users begin
          insert into session_invalidations (user_id) values (old.id); end`.execute(db);
        await sql`create trigger access_tokens_session_delete after delete on access_tokens begin
          insert into session_invalidations (token) values (old.token); end`.execute(db);
        await sql`create trigger access_tokens_session_update after update of token, user_id, expiration_date on access_tokens begin
          insert into session_invalidations (token) values (old.token); end`.execute(db);
      },
    },
    '0006_oauth_email_verified': {
      async up(db: Kysely<any>) {
        // Whether the provider asserted the account email verified when the link was made
        // (docs/oauth.md). A link made from an address nobody proved is dropped once the mailbox
        // owner proves it (a password reset or an email verification), so an identity planted
        // under someone else's address does not outlive their taking the account back. Rows made
        // before this column existed cannot say, so they count as unverified (the safe side: such
        // a link is dropped once at the next reset or verification, and linked again from the profile).
        await db.schema.alterTable('oauth_accounts').addColumn('email_verified', t.bool, (col) => col.notNull().defaultTo(t.false)).execute();
      },
    },
  };
}

/** The PostgreSQL channel on which the database announces session changes (migration 0005). */
export const SESSION_NOTICE_CHANNEL = 'fastify_users_sessions';

/**
 * Brings the schema to the latest migration. Kysely's migrator takes a lock first (an advisory
 * lock on PostgreSQL), so instances starting together migrate once. Returns the names applied.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
