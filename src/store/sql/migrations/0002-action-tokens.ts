import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** Single-use password-reset and email-verification tokens. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
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
}
