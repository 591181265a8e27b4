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
