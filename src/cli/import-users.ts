import { looksLikeEmail, normalizeEmail } from '../core/email.js';
import { checkImportedHash, type IMPORT_HASH_LIMITS } from '../core/password-hash.js';
import type { NewUser, Store } from '../core/store.js';
import { ProgressBar } from './progress.js';
import type { SourceRow } from './user-sources.js';

/** What an import did. */
export interface ImportSummary {
  imported: number;
  duplicates: number;
  invalid: number;
  /** One line per invalid row: where and why, never the hash. */
  problems: string[];
  /** The ids of the users this run created (not those it found already there). */
  createdUserIds: Set<number>;
}

/**
 * Imports `email, hashed_password` rows (Django's `password` column is read when there is no
 * `hashed_password`). Hashes are kept as they are: bcrypt from passlib or Django and argon2 from
 * fastapi-users verify as they are and are upgraded to the current argon2id at the next login.
 * Each hash must parse in full and stay within {@link IMPORT_HASH_LIMITS}; a row that does not
 * is refused with its line and the reason.
 * Optional `is_active`, `is_superuser`, `is_verified` columns are honoured.
 */
export async function importUsers(store: Store, rows: SourceRow[], now: Date, progress?: ProgressBar): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, duplicates: 0, invalid: 0, problems: [], createdUserIds: new Set() };
  for (const [index, row] of rows.entries()) {
    const parsed = toNewUser(row.values);
    const created = typeof parsed === 'string' ? null : await store.createUser(parsed, now);
    if (typeof parsed === 'string') {
      summary.invalid += 1;
      summary.problems.push(`${row.where}: ${parsed}`);
    } else if (created) {
      summary.imported += 1;
      summary.createdUserIds.add(created.id);
    } else {
      summary.duplicates += 1;
    }
    progress?.update(index + 1);
  }
  if (rows.length === 0) progress?.update(0);
  return summary;
}

function toNewUser(values: Record<string, unknown>): NewUser | string {
  const rawEmail = values.email;
  if (typeof rawEmail !== 'string' || rawEmail.trim() === '') return 'missing email';
  const email = normalizeEmail(rawEmail);
  if (!looksLikeEmail(email)) return 'invalid email';
  const hashed = values.hashed_password ?? values.password;
  if (typeof hashed !== 'string' || hashed === '') return 'missing hashed_password';
  const refused = checkImportedHash(hashed);
  if (refused !== null) return `hash refused: ${refused}`;
  const user: NewUser = { email, hashedPassword: hashed };
  for (const [column, key] of [
    ['is_active', 'isActive'],
    ['is_superuser', 'isSuperuser'],
    ['is_verified', 'isVerified'],
  ] as const) {
    const flag = toBoolean(values[column]);
    if (flag === 'invalid') return `invalid ${column}`;
    if (flag !== undefined) user[key] = flag;
  }
  return user;
}

function toBoolean(value: unknown): boolean | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 't', 'yes'].includes(text)) return true;
  if (['0', 'false', 'f', 'no'].includes(text)) return false;
  return 'invalid';
}
