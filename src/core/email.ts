/**
 * The stored, compared form of an email: trimmed and lower-cased (SPEC §3), so `A@x.io` and
 * ` a@X.io ` are one account. Unicode local parts are kept as given after NFC normalisation.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}
