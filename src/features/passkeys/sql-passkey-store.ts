import type { Kysely, Selectable } from 'kysely';
import type { ChallengePurpose, ChallengeRecord, NewPasskey, PasskeyRecord, PasskeyStore } from '../../core/store.js';
import type { Database, Dialect, PasskeysTable } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';

/** {@link PasskeyStore} on SQLite and PostgreSQL: WebAuthn credentials and challenges. */
export class SQLPasskeyStore implements PasskeyStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  async createPasskey(passkey: NewPasskey): Promise<PasskeyRecord | null> {
    const row = await this.db
      .insertInto('passkeys')
      .values({
        user_id: passkey.userId,
        credential_id: passkey.credentialId,
        public_key: passkey.publicKey,
        counter: passkey.counter,
        transports: passkey.transports.join(','),
        name: passkey.name,
        created_at: toDbTime(this.dialect, passkey.createdAt),
        last_used_at: null,
      })
      // The unique index decides: a credential belongs to one account (WebAuthn §7.1 step 22).
      .onConflict((oc) => oc.column('credential_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toPasskey(row) : null;
  }

  async listPasskeys(userId: number): Promise<PasskeyRecord[]> {
    const rows = await this.db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('id').execute();
    return rows.map(toPasskey);
  }

  async findPasskeyByCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    const row = await this.db.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
    return row ? toPasskey(row) : null;
  }

  async usePasskey(id: number, expectedCounter: number, counter: number, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('passkeys')
      .set({ counter, last_used_at: toDbTime(this.dialect, now) })
      .where('id', '=', id)
      .where('counter', '=', expectedCounter)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deletePasskey(userId: number, id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createChallenge(record: ChallengeRecord, keepPerUser?: number): Promise<void> {
    const userId = record.userId;
    if (userId === null || keepPerUser === undefined) {
      await this.db
        .insertInto('webauthn_challenges')
        .values({ digest: record.digest, purpose: record.purpose, user_id: userId, expiration_date: toDbTime(this.dialect, record.expiresAt) })
        .execute();
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webauthn_challenges')
        .values({ digest: record.digest, purpose: record.purpose, user_id: userId, expiration_date: toDbTime(this.dialect, record.expiresAt) })
        .execute();
      // Every challenge lives as long, so the latest expiry is the newest; the one just saved stays whatever the ties.
      const kept = trx
        .selectFrom('webauthn_challenges')
        .select('digest')
        .where('user_id', '=', userId)
        .where('purpose', '=', record.purpose)
        .where('digest', '!=', record.digest)
        .orderBy('expiration_date', 'desc')
        .limit(Math.max(0, keepPerUser - 1));
      await trx
        .deleteFrom('webauthn_challenges')
        .where('user_id', '=', userId)
        .where('purpose', '=', record.purpose)
        .where('digest', '!=', record.digest)
        .where('digest', 'not in', kept)
        .execute();
    });
  }

  async consumeChallenge(digest: string, purpose: ChallengePurpose, now: Date): Promise<ChallengeRecord | null> {
    // DELETE … RETURNING, as action tokens: of two concurrent uses exactly one sees the row.
    const row = await this.db.deleteFrom('webauthn_challenges').where('digest', '=', digest).where('purpose', '=', purpose).returningAll().executeTakeFirst();
    if (!row) return null;
    const expiresAt = fromDbTime(row.expiration_date);
    if (expiresAt.getTime() <= now.getTime()) return null;
    return { digest: row.digest, purpose, userId: row.user_id === null ? null : Number(row.user_id), expiresAt };
  }

  async deleteExpiredChallenges(now: Date): Promise<number> {
    const result = await this.db.deleteFrom('webauthn_challenges').where('expiration_date', '<=', toDbTime(this.dialect, now)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toPasskey(row: Selectable<PasskeysTable>): PasskeyRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: row.transports === '' ? [] : row.transports.split(','),
    name: row.name,
    createdAt: fromDbTime(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : fromDbTime(row.last_used_at),
  };
}
