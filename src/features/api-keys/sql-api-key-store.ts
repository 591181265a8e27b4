import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyOwner, ApiKeyRecord, ApiKeyStore, NewApiKey } from './api-key-store.js';
import type { User } from '../../core/user.js';
import type { ApiKeysTable, Database, Dialect } from '../../store/sql/schema.js';
import { toUser } from '../../store/sql/sql-store.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';

/** {@link ApiKeyStore} on SQLite and PostgreSQL. */
export class SQLApiKeyStore implements ApiKeyStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
  }

  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    const row = await this.db
      .insertInto('api_keys')
      .values({
        user_id: key.userId,
        org_id: key.orgId,
        name: key.name,
        prefix: key.prefix,
        digest: key.digest,
        scopes: JSON.stringify(key.scopes),
        expires_at: key.expiresAt === null ? null : toDbTime(this.dialect, key.expiresAt),
        last_used_at: null,
        created_at: toDbTime(this.dialect, key.createdAt),
        revoked: this.dialect === 'sqlite' ? 0 : false,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  async findApiKeySession(digest: string, now: Date): Promise<{ key: ApiKeyRecord; user: User } | null> {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .selectAll('u')
      .select([
        'k.id as k_id',
        'k.user_id as k_user_id',
        'k.org_id as k_org_id',
        'k.name as k_name',
        'k.prefix as k_prefix',
        'k.scopes as k_scopes',
        'k.expires_at as k_expires_at',
        'k.last_used_at as k_last_used_at',
        'k.created_at as k_created_at',
        'k.revoked as k_revoked',
      ])
      .where('k.digest', '=', digest)
      .executeTakeFirst();
    if (!row) return null;
    const key = toApiKey({
      id: row.k_id,
      user_id: row.k_user_id,
      org_id: row.k_org_id,
      name: row.k_name,
      prefix: row.k_prefix,
      digest,
      scopes: row.k_scopes,
      expires_at: row.k_expires_at,
      last_used_at: row.k_last_used_at,
      created_at: row.k_created_at,
      revoked: row.k_revoked,
    });
    if (key.revoked || (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime())) return null;
    return { key, user: toUser(row) };
  }

  async listApiKeys(owner: ApiKeyOwner): Promise<ApiKeyRecord[]> {
    const rows = await this.owned(owner).selectAll().orderBy('id').execute();
    return rows.map(toApiKey);
  }

  async countApiKeys(owner: ApiKeyOwner): Promise<number> {
    const row = await this.owned(owner)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findApiKeyDigest(owner: ApiKeyOwner, id: number): Promise<string | null> {
    const row = await this.owned(owner).select('digest').where('id', '=', id).executeTakeFirst();
    return row?.digest ?? null;
  }

  async touchApiKey(digest: string, now: Date): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: toDbTime(this.dialect, now) })
      .where('digest', '=', digest)
      .execute();
  }

  async revokeApiKey(digest: string): Promise<boolean> {
    // Conditional, so that of two concurrent revocations one reports it (and each instance is told once).
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked: this.dialect === 'sqlite' ? 1 : true })
      .where('digest', '=', digest)
      .where('revoked', '=', this.dialect === 'sqlite' ? 0 : false)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deleteDeadApiKeys(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where((eb) => eb.or([eb('revoked', '=', this.dialect === 'sqlite' ? 1 : true), eb('expires_at', '<=', toDbTime(this.dialect, now))]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The unrevoked keys of an owner: a user's personal keys, or an organization's. */
  private owned(owner: ApiKeyOwner) {
    const live = this.db.selectFrom('api_keys').where('revoked', '=', this.dialect === 'sqlite' ? 0 : false);
    return owner.orgId !== undefined ? live.where('org_id', '=', owner.orgId) : live.where('user_id', '=', owner.userId).where('org_id', 'is', null);
  }
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    orgId: row.org_id === null ? null : Number(row.org_id),
    name: row.name,
    prefix: row.prefix,
    scopes: parseScopes(row.scopes),
    expiresAt: row.expires_at === null ? null : fromDbTime(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : fromDbTime(row.last_used_at),
    createdAt: fromDbTime(row.created_at),
    revoked: Boolean(row.revoked),
  };
}

/** Stored scopes are a JSON array of strings; anything else (a hand-edited row) grants nothing. */
function parseScopes(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((scope): scope is string => typeof scope === 'string') : [];
  } catch {
    return [];
  }
}
