import { credentialAddedMail } from '../core/mail.js';
import type { User } from '../core/user.js';
import type { MailOutbox } from './outbox.js';

/** A way into an account that was just added. */
export type AddedCredential =
  | { kind: 'passkey'; name: string }
  | { kind: 'totp' }
  /** A linked identity at another provider (`provider`: its configured name). */
  | { kind: 'provider'; provider: string }
  /** An API key (docs/api-keys.md): its name and public prefix, never the key. */
  | { kind: 'api_key'; name: string; prefix: string };

/**
 * Mails `user` that `credential` was added to their account (docs/security.md, "Recent
 * authentication"). Queued on the outbox, so the request neither waits for nor fails with the mail.
 */
export function notifyCredentialAdded(outbox: MailOutbox, user: User, credential: AddedCredential, at: Date): void {
  outbox.enqueue(async () => credentialAddedMail(user.email, describe(credential), at), { to: user.email });
}

function describe(credential: AddedCredential): string {
  switch (credential.kind) {
    case 'passkey':
      return `a passkey named "${credential.name}"`;
    case 'totp':
      return 'two-factor sign-in with an authenticator app (TOTP)';
    case 'provider':
      return `sign-in with your ${credential.provider} account`;
    case 'api_key':
      return `an API key named "${credential.name}" (${credential.prefix}…)`;
  }
}
