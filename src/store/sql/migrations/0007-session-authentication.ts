import { sql, type Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/**
 * When each session last proved a factor, and with which methods. "Recent authentication"
 * (docs/security.md; OWASP ASVS 5.0 V7.5) asks for a fresh proof before a new way into the
 * account is added: the sign-in counts, and so does a later re-authentication, which updates
 * `authenticated_at`. `amr` is the RFC 8176 method list of the sign-in ("pwd otp"), space-separated.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // Nullable only because SQLite cannot add a NOT NULL column without a default; the store writes
  // it on every new session, and sessions opened before this migration proved a factor at sign-in.
  await db.schema.alterTable('access_tokens').addColumn('authenticated_at', t.time).execute();
  await db.schema.alterTable('access_tokens').addColumn('amr', 'varchar(64)').execute();
  await db
    .updateTable('access_tokens')
    .set({ authenticated_at: sql.ref('created_at') })
    .execute();

  // A re-authentication alters the session: other instances drop their cached copy of it, as
  // for the other session-changing updates (migration 0005, docs/session-cache.md).
  if (dialect === 'postgres') {
    await sql`drop trigger access_tokens_session_notice on access_tokens`.execute(db);
    await sql`create trigger access_tokens_session_notice
      after delete or update of token, user_id, expiration_date, authenticated_at on access_tokens
      for each row execute function fastify_users_session_notice()`.execute(db);
    return;
  }
  await sql`drop trigger access_tokens_session_update`.execute(db);
  await sql`create trigger access_tokens_session_update
    after update of token, user_id, expiration_date, authenticated_at on access_tokens begin
    insert into session_invalidations (token) values (old.token); end`.execute(db);
}
