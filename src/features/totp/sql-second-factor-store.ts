import type { Kysely, Selectable } from 'kysely';
import type { SecondFactorStore, TOTPRecord } from '../../core/store.js';
import type { Database, Dialect, TOTPSecretsTable } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';

/** {@link SecondFactorStore} on SQLite and PostgreSQL: TOTP secrets and recovery codes. */
export class SQLSecondFactorStore implements SecondFactorStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  async savePendingTOTP(userId: number, encryptedSecret: string, now: Date): Promise<boolean> {
    const row = await this.db
      .insertInto('totp_secrets')
      .values({
        user_id: userId,
        encrypted_secret: encryptedSecret,
        confirmed: this.dialect === 'sqlite' ? 0 : false,
        last_used_step: null,
        created_at: toDbTime(this.dialect, now),
      })
      // A pending enrolment is replaced by a new one; a confirmed one only goes through deleteTOTP.
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({
            encrypted_secret: encryptedSecret,
            last_used_step: null,
            created_at: toDbTime(this.dialect, now),
          })
          .where('totp_secrets.confirmed', '=', this.dialect === 'sqlite' ? 0 : false),
      )
      .returning('user_id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async findTOTP(userId: number): Promise<TOTPRecord | null> {
    const row = await this.db.selectFrom('totp_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return row ? toTOTP(row) : null;
  }

  async useTOTPStep(userId: number, step: number, options: { confirm?: boolean } = {}): Promise<boolean> {
    // One conditional UPDATE: the database serialises concurrent writers on the row, so a step
    // passes once even when two instances check the same code at the same moment (RFC 6238 §5.2).
    let query = this.db
      .updateTable('totp_secrets')
      .set(options.confirm ? { last_used_step: step, confirmed: this.dialect === 'sqlite' ? 1 : true } : { last_used_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]));
    if (!options.confirm) query = query.where('confirmed', '=', this.dialect === 'sqlite' ? 1 : true);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async replaceTOTPSecret(userId: number, expected: string, replacement: string): Promise<boolean> {
    const result = await this.db
      .updateTable('totp_secrets')
      .set({ encrypted_secret: replacement })
      .where('user_id', '=', userId)
      .where('encrypted_secret', '=', expected)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteTOTP(userId: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      const result = await trx.deleteFrom('totp_secrets').where('user_id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async replaceRecoveryCodes(userId: number, digests: string[], now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
      if (digests.length === 0) return;
      await trx
        .insertInto('recovery_codes')
        .values(digests.map((digest) => ({ digest, user_id: userId, used_at: null, created_at: toDbTime(this.dialect, now) })))
        .execute();
    });
  }

  async useRecoveryCode(userId: number, digest: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: toDbTime(this.dialect, now) })
      .where('digest', '=', digest)
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async countRecoveryCodes(userId: number): Promise<number> {
    const row = await this.db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function toTOTP(row: Selectable<TOTPSecretsTable>): TOTPRecord {
  return {
    userId: Number(row.user_id),
    encryptedSecret: row.encrypted_secret,
    confirmed: Boolean(row.confirmed),
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    createdAt: fromDbTime(row.created_at),
  };
}
