import { sql, type Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** Organizations, their memberships with a role, and invitations (docs/organizations.md). */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
    .addColumn('name', 'varchar(100)', (col) => col.notNull())
    .addColumn('slug', 'varchar(48)', (col) => col.notNull())
    .addColumn('require_mfa', t.bool, (col) => col.notNull().defaultTo(t.false))
    .addColumn('created_at', t.time, (col) => col.notNull())
    .execute();
  // The index decides concurrent creations with one slug: the loser is told the slug is taken.
  await db.schema.createIndex('organizations_slug_key').unique().on('organizations').column('slug').execute();

  // One row per member: deleting the organization or the user takes the row with it. Other tables
  // that must die with a membership (an organization's API keys, pending invitations) reference
  // this composite key with ON DELETE CASCADE.
  await db.schema
    .createTable('memberships')
    .addColumn('org_id', 'integer', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(16)', (col) => col.notNull().check(sql`role in ('owner', 'admin', 'member')`))
    .addColumn('joined_at', t.time, (col) => col.notNull())
    .addPrimaryKeyConstraint('memberships_pkey', ['org_id', 'user_id'])
    .execute();
  await db.schema.createIndex('memberships_user_id_idx').on('memberships').column('user_id').execute();

  // Invitations: only the SHA-256 digest of the token is kept. An invitation dies with its
  // organization and with its inviter's membership: a removed admin's pending invitations stop working.
  await db.schema
    .createTable('invitations')
    .addColumn('id', 'integer', (col) => (dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()))
    .addColumn('org_id', 'integer', (col) => col.notNull())
    .addColumn('email', 'varchar(320)', (col) => col.notNull())
    .addColumn('role', 'varchar(16)', (col) => col.notNull().check(sql`role in ('owner', 'admin', 'member')`))
    .addColumn('token_digest', 'varchar(64)', (col) => col.notNull())
    .addColumn('invited_by', 'integer', (col) => col.notNull())
    .addColumn('expires_at', t.time, (col) => col.notNull())
    .addColumn('accepted_at', t.time)
    .addColumn('created_at', t.time, (col) => col.notNull())
    .addForeignKeyConstraint('invitations_inviter_fkey', ['org_id', 'invited_by'], 'memberships', ['org_id', 'user_id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('invitations_token_digest_key').unique().on('invitations').column('token_digest').execute();
  await db.schema.createIndex('invitations_org_id_idx').on('invitations').columns(['org_id', 'email']).execute();
}
