import type { Kysely, Selectable } from 'kysely';
import type { NewOAuthAccount, OAuthAccount, OAuthAccountStore } from '../../core/store.js';
import type { Database, DbTime, Dialect, OAuthAccountsTable } from '../../store/sql/schema.js';
import { fromDbTime } from '../../store/sql/time.js';

/**
 * {@link OAuthAccountStore} in SQL, for SQLite and PostgreSQL alike; composed into `SQLStore`
 * (which owns the connection) as its `oauthAccounts`.
 */
export class SQLOAuthAccountStore implements OAuthAccountStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly time: (date: Date) => DbTime;

  constructor(db: Kysely<Database>, dialect: Dialect, time: (date: Date) => DbTime) {
    this.db = db;
    this.dialect = dialect;
    this.time = time;
  }

  async linkOAuthAccount(account: NewOAuthAccount, now: Date): Promise<OAuthAccount | null> {
    const row = await this.db
      .insertInto('oauth_accounts')
      .values({
        user_id: account.userId,
        oauth_name: account.oauthName,
        account_id: account.accountId,
        account_email: account.accountEmail,
        email_verified: this.dialect === 'sqlite' ? Number(account.emailVerified) : account.emailVerified,
        created_at: this.time(now),
      })
      // The unique (oauth_name, account_id) index decides between concurrent links: the loser gets null.
      .onConflict((oc) => oc.columns(['oauth_name', 'account_id']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toOAuthAccount(row) : null;
  }

  async findOAuthAccount(oauthName: string, accountId: string): Promise<OAuthAccount | null> {
    const row = await this.db
      .selectFrom('oauth_accounts')
      .selectAll()
      .where('oauth_name', '=', oauthName)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? toOAuthAccount(row) : null;
  }

  async listOAuthAccounts(userId: number): Promise<OAuthAccount[]> {
    const rows = await this.db.selectFrom('oauth_accounts').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return rows.map(toOAuthAccount);
  }

  async unlinkOAuthAccount(userId: number, id: number, options: { keepLast?: boolean } = {}): Promise<'unlinked' | 'not-found' | 'last'> {
    return this.db.transaction().execute(async (trx) => {
      // PostgreSQL: lock the user's row so concurrent unlinks are decided one after the other
      // (SQLite has one writer at a time already, and no FOR UPDATE).
      if (this.dialect === 'postgres') await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
      const links = await trx.selectFrom('oauth_accounts').select('id').where('user_id', '=', userId).execute();
      if (!links.some((link) => Number(link.id) === id)) return 'not-found';
      if (options.keepLast && links.length <= 1) return 'last';
      await trx.deleteFrom('oauth_accounts').where('id', '=', id).where('user_id', '=', userId).execute();
      return 'unlinked';
    });
  }

  async deleteUnverifiedOAuthAccounts(userId: number): Promise<number> {
    const result = await this.db
      .deleteFrom('oauth_accounts')
      .where('user_id', '=', userId)
      .where('email_verified', '=', this.dialect === 'sqlite' ? 0 : false)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toOAuthAccount(row: Selectable<OAuthAccountsTable>): OAuthAccount {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    oauthName: row.oauth_name,
    accountId: row.account_id,
    accountEmail: row.account_email,
    emailVerified: Boolean(row.email_verified),
    createdAt: fromDbTime(row.created_at),
  };
}
