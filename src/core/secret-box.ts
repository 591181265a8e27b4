import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256-GCM's recommended nonce length (NIST SP 800-38D §8.2): 96 bits, random per message. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The format's version, first in every sealed value, so the scheme can change later. */
const VERSION = 'v1';

/** A value opened by {@link SecretBox.open}, and whether it was sealed with an older key. */
export interface Opened {
  plaintext: Buffer;
  /** True when a fallback key opened it: the caller should seal it again with the current key. */
  stale: boolean;
}

/**
 * Encryption at rest of small secrets (TOTP seeds), with keys derived from `SECRET_KEY`.
 * AES-256-GCM (authenticated: a tampered value does not open) with a fresh random IV per value;
 * the key is HKDF-SHA256 (RFC 5869) of the application secret with a purpose label as `info`,
 * so the CSRF signing key and this encryption key are never the same bytes (NIST SP 800-108's
 * key separation). `context` (e.g. the user id) is bound as additional authenticated data: a
 * ciphertext copied onto another row does not open. The first key seals; fallbacks only open,
 * as `SECRET_KEY_FALLBACKS` does for signatures.
 */
export class SecretBox {
  private readonly keys: Buffer[];

  /** `secrets[0]` seals; every one of them opens. `purpose` labels the derived key. */
  constructor(secrets: readonly string[], purpose: string) {
    if (secrets.length === 0) throw new TypeError('SecretBox needs at least one key');
    this.keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `fastify-users ${purpose}`, 32)));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url parts. */
  seal(plaintext: Uint8Array, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** The plaintext, or `null` when no key opens it (wrong key, other context, tampered, malformed). */
  open(sealed: string, context: string): Opened | null {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return null;
    const [iv, ciphertext, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return null;
    for (const [index, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(tag);
        const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
        return { plaintext, stale: index > 0 };
      } catch {
        // Not this key: try the next one.
      }
    }
    return null;
  }
}
