import type { FastifyBaseLogger } from 'fastify';
import type { PasswordScreen } from '../../core/password-screen.js';
import type { ResolvedBreachedPasswords } from './options.js';
import { RangeAPI } from './range-api.js';
import { RangeFolder } from './range-folder.js';
import { rangeKeyOf } from './sha1-range.js';

/** The `detail` of the 400 a breached password gets (docs/breached-passwords.md). */
export const BREACHED_REASON = 'Password has appeared in a data breach; choose another';

/**
 * Refuses passwords known from breaches (NIST SP 800-63B-4 §3.1.1.2), from a range folder or the
 * range API. An answer that cannot be had — the API down or slow, a prefix's file missing — lets
 * the password through with a log line (fail open): refusing every new password while a third
 * party is down would lock users out of registration and reset, and the policy's own common-
 * password list still applies. Logs never carry the password, its hash or its prefix.
 */
export function breachedPasswordScreen(config: ResolvedBreachedPasswords, log: FastifyBaseLogger): PasswordScreen {
  if (config.kind === 'range-folder') {
    const folder = new RangeFolder(config.folder);
    let reportedMissing = false;
    return {
      async screen(password) {
        let count: number | null;
        try {
          count = folder.count(rangeKeyOf(password));
        } catch (error) {
          log.error({ err: { message: (error as Error).message } }, 'breached-password range file unreadable; password not checked');
          return null;
        }
        if (count === null) {
          // Once per process: an incomplete folder is the operator's to fix, not news at every registration.
          if (!reportedMissing)
            log.error(
              `breached-password range folder ${config.folder} is incomplete (a prefix file is missing); such passwords are not checked. Run: fastify-users check-breached-passwords ${config.folder}`,
            );
          reportedMissing = true;
          return null;
        }
        return count > 0 ? BREACHED_REASON : null;
      },
    };
  }
  const api = new RangeAPI(config.url, config.timeoutMs);
  return {
    async screen(password) {
      try {
        return (await api.count(rangeKeyOf(password))) > 0 ? BREACHED_REASON : null;
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : (error as Error).message;
        log.warn({ err: { message: reason } }, 'breached-password API unavailable; password accepted without the breach check (fail open)');
        return null;
      }
    },
  };
}
