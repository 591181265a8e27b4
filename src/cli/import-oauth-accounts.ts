import { normalizeEmail } from '../core/email.js';
import type { Store } from '../core/store.js';
import type { SourceRow } from './user-sources.js';

/** What an import of linked accounts did. */
export interface OAuthImportSummary {
  linked: number;
  duplicates: number;
  invalid: number;
  /** One line per invalid row: where and why (never a provider token). */
  problems: string[];
}

/**
 * Imports fastapi-users' `oauth_account` rows 1:1 (`oauth_name`, `account_id`, `account_email`):
 * each row's `user_id` is looked up among the source's user rows, whose email finds the user
 * imported here (ids are not kept: fastapi-users' are UUIDs). Its `access_token`,
 * `refresh_token` and `expires_at` are not imported: provider tokens are not stored.
 *
 * Only users in `createdUserIds` — those this same run created — are given links. A file names
 * users by email, so a row whose email matches an account that already existed here would
 * otherwise plant a sign-in for whoever controls that provider identity into someone else's
 * account (docs/oauth.md, "Importing from fastapi-users"); such rows are skipped as invalid.
 * fastapi-users does not record whether the provider verified the email, so imported links count
 * as unverified (`emailVerified: false`), like links made before that was recorded here.
 */
export async function importOAuthAccounts(
  store: Store,
  userRows: SourceRow[],
  rows: SourceRow[],
  createdUserIds: ReadonlySet<number>,
  now: Date,
): Promise<OAuthImportSummary> {
  const summary: OAuthImportSummary = { linked: 0, duplicates: 0, invalid: 0, problems: [] };
  const emailOf = new Map<string, string>();
  for (const row of userRows) {
    if (row.values.id != null && typeof row.values.email === 'string') emailOf.set(String(row.values.id), normalizeEmail(row.values.email));
  }
  for (const row of rows) {
    const { user_id: userId, oauth_name: oauthName, account_id: accountId, account_email: accountEmail } = row.values;
    const problem = (reason: string) => {
      summary.invalid += 1;
      summary.problems.push(`oauth_account ${row.where}: ${reason}`);
    };
    if (typeof oauthName !== 'string' || !/^[a-z0-9-]{1,64}$/.test(oauthName)) {
      problem('invalid oauth_name');
      continue;
    }
    if (accountId == null || String(accountId) === '' || String(accountId).length > 320) {
      problem('invalid account_id');
      continue;
    }
    if (typeof accountEmail !== 'string' || accountEmail.length > 320) {
      problem('invalid account_email');
      continue;
    }
    const email = userId == null ? undefined : emailOf.get(String(userId));
    const user = email === undefined ? null : await store.findUserByEmail(email);
    if (!user) {
      problem('its user_id is not among the imported users');
      continue;
    }
    if (!createdUserIds.has(user.id)) {
      problem('its user existed before this import (links are imported only for users the import creates)');
      continue;
    }
    const link = await store.oauthAccounts.linkOAuthAccount(
      { userId: user.id, oauthName, accountId: String(accountId), accountEmail: normalizeEmail(accountEmail), emailVerified: false },
      now,
    );
    if (link) summary.linked += 1;
    else summary.duplicates += 1;
  }
  return summary;
}
