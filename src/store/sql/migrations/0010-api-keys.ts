import { sql, type Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';
import { SESSION_NOTICE_CHANNEL } from './0005-session-invalidations.js';

/**
 * API keys (docs/api-keys.md): the secret only as its SHA-256 digest, as access tokens (OWASP
 * Secrets Management CS; the key has 256 bits of entropy, so a plain hash suffices). A key dies
 * with its user, and an organization's key with its maker's membership or the organization (cascades). A change that ends or narrows a key is announced like a session's
 * (migration 0005, docs/session-cache.md), so every instance drops its cached copy within a second.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('org_id', 'integer')
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .addColumn('prefix', 'varchar(16)', (col) => col.notNull())
    .addColumn('digest', 'varchar(64)', (col) => col.notNull())
    .addColumn('scopes', 'text', (col) => col.notNull())
    .addColumn('expires_at', t.time)
    .addColumn('last_used_at', t.time)
    .addColumn('created_at', t.time, (col) => col.notNull())
    .addColumn('revoked', t.bool, (col) => col.notNull().defaultTo(t.false))
    // An organization's key (org_id set) dies with its maker's membership, and so with the
    // organization (memberships cascade from it, migration 0009). A personal key (org_id null)
    // is outside this constraint: a foreign key with a null column is not checked (MATCH SIMPLE).
    .addForeignKeyConstraint('api_keys_membership_fkey', ['org_id', 'user_id'], 'memberships', ['org_id', 'user_id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('api_keys_digest_key').unique().on('api_keys').column('digest').execute();
  await db.schema.createIndex('api_keys_user_id_idx').on('api_keys').column('user_id').execute();
  await db.schema.createIndex('api_keys_org_id_idx').on('api_keys').column('org_id').execute();

  // The notice names the key by its digest, as a session by its token's digest: the cache holds
  // both under their digest. `last_used_at` is bookkeeping and announces nothing.
  if (dialect === 'postgres') {
    await sql`
      create function fastify_users_api_key_notice() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(SESSION_NOTICE_CHANNEL)}, 't:' || OLD.digest);
        return null;
      end $$`.execute(db);
    await sql`create trigger api_keys_session_notice
      after delete or update of digest, user_id, org_id, scopes, expires_at, revoked on api_keys
      for each row execute function fastify_users_api_key_notice()`.execute(db);
    return;
  }
  await sql`create trigger api_keys_session_delete after delete on api_keys begin
    insert into session_invalidations (token) values (old.digest); end`.execute(db);
  await sql`create trigger api_keys_session_update
    after update of digest, user_id, org_id, scopes, expires_at, revoked on api_keys begin
    insert into session_invalidations (token) values (old.digest); end`.execute(db);
}
