import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/**
 * Sign-in by email link or code (docs/email-sign-in.md): one row per request, digests only, alive
 * 10 minutes. `user_id` is empty for an address without an account (with `EMAIL_SIGNUP=on`);
 * `binding_digest` ties the request to the browser (cookie) or API client (`request_id`) that asked.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('email_sign_ins')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
    .addColumn('email', 'varchar(320)', (col) => col.notNull())
    .addColumn('link_digest', 'varchar(64)')
    .addColumn('code_digest', 'varchar(64)', (col) => col.notNull())
    .addColumn('binding_digest', 'varchar(64)', (col) => col.notNull())
    .addColumn('transport', 'varchar(8)', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('expires_at', t.time, (col) => col.notNull())
    .addColumn('used_at', t.time)
    .addColumn('created_at', t.time, (col) => col.notNull())
    .execute();
  await db.schema.createIndex('email_sign_ins_link_digest_key').unique().on('email_sign_ins').column('link_digest').execute();
  await db.schema.createIndex('email_sign_ins_binding_digest_key').unique().on('email_sign_ins').column('binding_digest').execute();
  await db.schema.createIndex('email_sign_ins_expires_at_idx').on('email_sign_ins').column('expires_at').execute();
  await db.schema.createIndex('email_sign_ins_user_id_idx').on('email_sign_ins').column('user_id').execute();
}
