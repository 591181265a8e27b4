import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/**
 * Storage of this service acting as an OAuth 2.1 / OpenID Connect provider (docs/oauth-server.md,
 * "Storage and keys"):
 *
 * - `oauth_server_artifacts`: every short-lived thing the engine keeps (codes, tokens, grants,
 *   sessions, interactions…), one row each, found by the SHA-256 of its id only — the id is the
 *   bearer value, so a leaked table cannot be replayed (RFC 6819 §5.1.4.1.3, ASVS 7.2.1). A row
 *   dies with its user (cascade) and is not found once `expires_at` has passed.
 * - `oauth_server_clients`: registered clients, the secret kept only as its SHA-256 digest.
 * - `oauth_server_keys`: the signing keys, private parts sealed under `SECRET_KEY`; a retired key
 *   still verifies (it stays published) until it is pruned.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('oauth_server_artifacts')
    .addColumn('model', 'varchar(48)', (col) => col.notNull())
    .addColumn('id_digest', 'varchar(64)', (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('grant_id', 'varchar(255)')
    .addColumn('client_id', 'varchar(255)')
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('uid', 'varchar(255)')
    .addColumn('user_code_digest', 'varchar(64)')
    // Only a device code found by its user code needs its id back (to save the user's approval
    // under it); that id is sealed under SECRET_KEY, never stored in the clear.
    .addColumn('sealed_id', 'text')
    .addColumn('expires_at', t.time)
    .addColumn('consumed_at', t.time)
    .addColumn('created_at', t.time, (col) => col.notNull())
    .addPrimaryKeyConstraint('oauth_server_artifacts_pkey', ['model', 'id_digest'])
    .execute();
  await db.schema.createIndex('oauth_server_artifacts_grant_id_idx').on('oauth_server_artifacts').column('grant_id').execute();
  await db.schema.createIndex('oauth_server_artifacts_client_id_idx').on('oauth_server_artifacts').column('client_id').execute();
  await db.schema.createIndex('oauth_server_artifacts_user_id_idx').on('oauth_server_artifacts').column('user_id').execute();
  await db.schema.createIndex('oauth_server_artifacts_uid_key').unique().on('oauth_server_artifacts').columns(['model', 'uid']).execute();
  await db.schema.createIndex('oauth_server_artifacts_user_code_key').unique().on('oauth_server_artifacts').columns(['model', 'user_code_digest']).execute();
  await db.schema.createIndex('oauth_server_artifacts_expires_at_idx').on('oauth_server_artifacts').column('expires_at').execute();

  await db.schema
    .createTable('oauth_server_clients')
    .addColumn('client_id', 'varchar(255)', (col) => col.primaryKey())
    .addColumn('metadata', 'text', (col) => col.notNull())
    .addColumn('first_party', t.bool, (col) => col.notNull().defaultTo(t.false))
    .addColumn('created_at', t.time, (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('oauth_server_keys')
    .addColumn('kid', 'varchar(64)', (col) => col.primaryKey())
    .addColumn('sealed_jwk', 'text', (col) => col.notNull())
    .addColumn('created_at', t.time, (col) => col.notNull())
    .addColumn('retired_at', t.time)
    .execute();
}
