import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** TOTP secrets, recovery codes, passkeys and their WebAuthn challenges. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
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
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
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
}
