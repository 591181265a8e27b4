import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/**
 * The audit log (docs/audit.md) and impersonation sessions.
 *
 * `audit_events` has no foreign keys: a deleted user's events stay as they were (a cascade or a
 * `set null` would rewrite rows and break their hashes). `audit_head` holds the chain's last id
 * and hash in one row that every append updates first, which serialises appends across
 * processes, and lets verify notice the newest rows deleted.
 *
 * `access_tokens.impersonator_id`: the superuser a session was opened for (support
 * impersonation); deleting that superuser ends the session.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (col) => col.primaryKey())
    .addColumn('at', t.time, (col) => col.notNull())
    .addColumn('actor_user_id', 'integer')
    .addColumn('subject_user_id', 'integer')
    .addColumn('org_id', 'integer')
    .addColumn('type', 'varchar(64)', (col) => col.notNull())
    .addColumn('ip', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('detail', 'text', (col) => col.notNull())
    .addColumn('prev_hash', 'varchar(64)', (col) => col.notNull())
    .addColumn('hash', 'varchar(64)', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('audit_events_subject_idx').on('audit_events').columns(['subject_user_id', 'id']).execute();
  await db.schema.createIndex('audit_events_actor_idx').on('audit_events').columns(['actor_user_id', 'id']).execute();
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_type_idx').on('audit_events').columns(['type', 'id']).execute();

  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('last_id', 'bigint', (col) => col.notNull())
    .addColumn('last_hash', 'varchar(64)', (col) => col.notNull())
    .execute();
  await db
    .insertInto('audit_head')
    .values({ id: 1, last_id: 0, last_hash: '0'.repeat(64) /* the genesis hash, core/audit.ts */ })
    .execute();

  await db.schema
    .alterTable('access_tokens')
    .addColumn('impersonator_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
    .execute();
}
