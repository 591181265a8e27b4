import { sql, type Kysely } from 'kysely';
import type { Dialect } from './column-types.js';
import { SESSION_NOTICE_CHANNEL } from './0005-session-invalidations.js';

/**
 * The database announces the end of a user's grant to an OAuth client (a deleted `Grant` row of
 * `oauth_server_artifacts`: "Connected apps", a refresh token presented twice, the client deleted)
 * as a change of that user, on the channel and log of migration 0005. Instances keep the answer
 * for a provider JWT access token in memory beside sessions (docs/resource-server.md); this notice
 * is what makes every instance refuse the token as soon as its grant ends, whoever deleted the row.
 * It costs the user's cached sessions one database read each, once.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`
      create function fastify_users_grant_notice() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(SESSION_NOTICE_CHANNEL)}, 'u:' || OLD.user_id);
        return null;
      end $$`.execute(db);
    await sql`create trigger oauth_server_grants_notice after delete on oauth_server_artifacts
      for each row when (OLD.model = 'Grant' and OLD.user_id is not null)
      execute function fastify_users_grant_notice()`.execute(db);
    return;
  }
  await sql`create trigger oauth_server_grants_delete after delete on oauth_server_artifacts
    when old.model = 'Grant' and old.user_id is not null begin
    insert into session_invalidations (user_id) values (old.user_id); end`.execute(db);
}
