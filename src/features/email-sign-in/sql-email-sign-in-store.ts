import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, Dialect, EmailSignInsTable } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import type { EmailSignInRecord, EmailSignInStore, EmailSignInTransport, NewEmailSignIn } from './store.js';

/** {@link EmailSignInStore} on SQLite and PostgreSQL: the `email_sign_ins` table. */
export class SQLEmailSignInStore implements EmailSignInStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  async createEmailSignIn(request: NewEmailSignIn): Promise<EmailSignInRecord> {
    const row = await this.db
      .insertInto('email_sign_ins')
      .values({
        user_id: request.userId,
        email: request.email,
        link_digest: request.linkDigest,
        code_digest: request.codeDigest,
        binding_digest: request.bindingDigest,
        transport: request.transport,
        expires_at: toDbTime(this.dialect, request.expiresAt),
        used_at: null,
        created_at: toDbTime(this.dialect, request.createdAt),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async findEmailSignInByLink(linkDigest: string): Promise<EmailSignInRecord | null> {
    const row = await this.db.selectFrom('email_sign_ins').selectAll().where('link_digest', '=', linkDigest).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findEmailSignInByBinding(bindingDigest: string): Promise<EmailSignInRecord | null> {
    const row = await this.db.selectFrom('email_sign_ins').selectAll().where('binding_digest', '=', bindingDigest).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async takeEmailSignInTry(id: number, maxAttempts: number, now: Date): Promise<boolean> {
    // One conditional UPDATE: of concurrent guesses, no more than the limit find a try left.
    const result = await this.db
      .updateTable('email_sign_ins')
      .set({ attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .where('attempts', '<', maxAttempts)
      .where('used_at', 'is', null)
      .where('expires_at', '>', toDbTime(this.dialect, now))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async returnEmailSignInTry(id: number): Promise<void> {
    await this.db.updateTable('email_sign_ins').set({ attempts: sql`attempts - 1` }).where('id', '=', id).where('attempts', '>', 0).execute();
  }

  async useEmailSignIn(id: number, now: Date): Promise<boolean> {
    const at = toDbTime(this.dialect, now);
    const result = await this.db
      .updateTable('email_sign_ins')
      .set({ used_at: at })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteExpiredEmailSignIns(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('email_sign_ins').where('expires_at', '<=', toDbTime(this.dialect, now)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRecord(row: Selectable<EmailSignInsTable>): EmailSignInRecord {
  return {
    id: Number(row.id),
    userId: row.user_id === null ? null : Number(row.user_id),
    email: row.email,
    linkDigest: row.link_digest,
    codeDigest: row.code_digest,
    bindingDigest: row.binding_digest,
    transport: row.transport as EmailSignInTransport,
    attempts: Number(row.attempts),
    expiresAt: fromDbTime(row.expires_at),
    usedAt: row.used_at === null ? null : fromDbTime(row.used_at),
    createdAt: fromDbTime(row.created_at),
  };
}
