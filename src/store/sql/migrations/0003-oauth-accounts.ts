import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** Identities linked at other providers. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // Identities at other providers (docs/oauth.md). fastapi-users' column names, so its
  // `oauth_account` rows import 1:1; provider access and refresh tokens are not kept.
  await db.schema
    .createTable('oauth_accounts')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('oauth_name', 'varchar(100)', (col) => col.notNull())
    .addColumn('account_id', 'varchar(320)', (col) => col.notNull())
    .addColumn('account_email', 'varchar(320)', (col) => col.notNull())
    .addColumn('created_at', t.time, (col) => col.notNull())
    .execute();
  // One identity belongs to one user at most: the index decides concurrent links.
  await db.schema.createIndex('oauth_accounts_identity_key').unique().on('oauth_accounts').columns(['oauth_name', 'account_id']).execute();
  await db.schema.createIndex('oauth_accounts_user_id_idx').on('oauth_accounts').column('user_id').execute();
}
