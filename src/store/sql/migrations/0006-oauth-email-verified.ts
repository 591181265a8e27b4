import type { Kysely } from 'kysely';
import { columnTypes, type Dialect } from './column-types.js';

/** Whether each provider link was made from an email the provider vouched for. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const t = columnTypes(dialect);
  // Whether the provider asserted the account email verified when the link was made
  // (docs/oauth.md). A link made from an address nobody proved is dropped once the mailbox
  // owner proves it (a password reset or an email verification), so an identity planted
  // under someone else's address does not outlive their taking the account back. Rows made
  // before this column existed cannot say, so they count as unverified (the safe side: such
  // a link is dropped once at the next reset or verification, and linked again from the profile).
  await db.schema
    .alterTable('oauth_accounts')
    .addColumn('email_verified', t.bool, (col) => col.notNull().defaultTo(t.false))
    .execute();
}
