import { sql, type Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** The PostgreSQL channel on which the database announces session changes. */
export const SESSION_NOTICE_CHANNEL = 'fastify_users_sessions';

/** The database announces every change that ends or alters a session. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
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
}
