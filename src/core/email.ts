/**
 * The stored, compared form of an email: trimmed and lower-cased (docs/migrating-from-fastapi.md), so `A@x.io` and
 * ` a@X.io ` are one account. Unicode local parts are kept as given after NFC normalisation.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/** RFC 5321 caps a forward path at 256 octets; 320 is the customary column limit (users.email). */
export const MAX_EMAIL_LENGTH = 320;
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;

/**
 * True for something shaped like an address (one `@`, a dotted domain, no spaces or control
 * characters, at most 320 characters) — for emails that come from elsewhere (imports, identity
 * providers), which the route schemas did not check.
 */
export function looksLikeEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && EMAIL_SHAPE.test(email) && !/\p{Cc}/u.test(email);
}

/**
 * One plain mailbox (RFC 5321 §4.1.2 `Mailbox` with a dot-atom local part, non-ASCII letters
 * allowed as RFC 6531 allows them): no quoted local part, no comment, no display name, no list,
 * no route, no space or control character. A mail library reads those forms as *other*
 * recipients — `victim(x@evil.test)@example.com`, `Victim <x@evil.test>`, `a@x.test,b@y.test`,
 * `"x@evil.test"@example.com` (nodemailer's address parser has had such a bug,
 * GHSA-mm7p-fcc7-pg87) — so mail that proves an address is only sent to addresses that cannot
 * be read two ways (docs/email-sign-in.md, "Addresses").
 */
export function isPlainMailbox(address: string): boolean {
  return address.length <= MAX_EMAIL_LENGTH && PLAIN_MAILBOX.test(address);
}
const ATOM = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?';
const PLAIN_MAILBOX = new RegExp(`^(?=[^@]{1,64}@)${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`, 'u');
