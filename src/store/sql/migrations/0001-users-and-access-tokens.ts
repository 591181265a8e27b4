import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** Users and their access tokens (sessions). */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
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
}
