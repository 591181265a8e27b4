/**
 * Stored password hashes read in full: argon2 PHC strings and bcrypt's modular-crypt form (bare
 * or with Django's `argon2$`, `bcrypt$` and `bcrypt_sha256$` prefixes), and the bounds an
 * imported hash must stay within.
 */

/** An argon2 PHC string, parsed (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). */
export interface Argon2Hash {
  scheme: 'argon2';
  variant: 'argon2id' | 'argon2i' | 'argon2d';
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** The PHC string itself, without a Django prefix. */
  phc: string;
  /** True when it came with Django's `argon2$` prefix. */
  djangoPrefix: boolean;
}

/** A bcrypt hash, parsed (`$2b$12$<22 salt characters><31 hash characters>`). */
export interface BcryptHash {
  scheme: 'bcrypt';
  cost: number;
  /** The modular-crypt string itself, without a Django prefix. */
  hash: string;
  /** Django's `bcrypt_sha256$`: the password is first replaced by its hex SHA-256. */
  sha256: boolean;
}

export type PasswordHash = Argon2Hash | BcryptHash;

// Decimal parameters without leading zeros (PHC string format), standard base64 without padding.
const ARGON2_PHC = /^\$(argon2id|argon2i|argon2d)\$v=(16|19)\$m=([1-9]\d{0,9}),t=([1-9]\d{0,9}),p=([1-9]\d{0,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** Salt and output lengths, in bytes, that argon2 implementations produce (RFC 9106 §3.1: salt ≥ 8). */
const ARGON2_SALT_BYTES = { min: 8, max: 64 };
const ARGON2_OUTPUT_BYTES = { min: 16, max: 64 };
/** bcrypt's cost is a base-2 logarithm between 4 and 31 (OpenBSD bcrypt). */
const BCRYPT_COST = { min: 4, max: 31 };

/**
 * Parses a stored hash in full — every field, the salt and the output — or returns `null`: a
 * string that merely starts like a hash (`$argon2id$v=19$m=1,t=1,p=1$NOT-A-REAL-HASH`) is not one.
 */
export function parsePasswordHash(stored: string): PasswordHash | null {
  if (stored.startsWith('argon2$')) return parseArgon2(stored.slice('argon2'.length), true);
  if (stored.startsWith('$argon2')) return parseArgon2(stored, false);
  if (stored.startsWith('bcrypt_sha256$')) return parseBcrypt(stored.slice('bcrypt_sha256$'.length), true);
  if (stored.startsWith('bcrypt$')) return parseBcrypt(stored.slice('bcrypt$'.length), false);
  return parseBcrypt(stored, false);
}

function parseArgon2(phc: string, djangoPrefix: boolean): Argon2Hash | null {
  const match = ARGON2_PHC.exec(phc);
  if (!match) return null;
  const [, variant, version, m, t, p, salt, output] = match;
  const memoryCost = Number(m);
  const parallelism = Number(p);
  // Argon2 needs at least 8 KiB of memory per lane (RFC 9106 §3.1).
  if (memoryCost < 8 * parallelism) return null;
  if (!base64LengthWithin(salt!, ARGON2_SALT_BYTES) || !base64LengthWithin(output!, ARGON2_OUTPUT_BYTES)) return null;
  return {
    scheme: 'argon2',
    variant: variant as Argon2Hash['variant'],
    version: Number(version),
    memoryCost,
    timeCost: Number(t),
    parallelism,
    phc,
    djangoPrefix,
  };
}

/** True when unpadded base64 of this length decodes to a byte count within the bounds. */
function base64LengthWithin(text: string, bytes: { min: number; max: number }): boolean {
  if (text.length % 4 === 1) return false; // no byte count encodes to this length
  const decoded = Math.floor((text.length * 3) / 4);
  return decoded >= bytes.min && decoded <= bytes.max;
}

function parseBcrypt(hash: string, sha256: boolean): BcryptHash | null {
  const match = BCRYPT.exec(hash);
  if (!match) return null;
  const cost = Number(match[1]);
  if (cost < BCRYPT_COST.min || cost > BCRYPT_COST.max) return null;
  return { scheme: 'bcrypt', cost, hash, sha256 };
}

/**
 * The most an imported hash may cost to verify. Every failed login against it spends that much
 * of a hashing slot, so an unbounded one (the review imported m = 1 GiB, t = 3: 17 s and 1.2 GB
 * per wrong password) is a denial of service waiting for a login. The bounds admit what password
 * libraries emit by default — passlib (argon2 m=512 KiB t=2 p=2; bcrypt cost 12), Django (argon2
 * m=100 MiB t=2 p=8; bcrypt 12), argon2-cffi and pwdlib (m=64 MiB t=3 p=4) — with room above:
 * at 256 MiB × 2 passes, four verifications at once hold 1 GiB (docs/security-hardening.md).
 */
export const IMPORT_HASH_LIMITS = {
  /** Largest argon2 memory, in KiB (256 MiB). */
  argon2MaxMemoryCost: 262_144,
  /** Most argon2 passes. */
  argon2MaxTimeCost: 10,
  /** Most argon2 lanes. */
  argon2MaxParallelism: 16,
  /** Largest memory × passes, in KiB (13 times OWASP's m=19456, t=2). */
  argon2MaxWork: 524_288,
  /** Highest bcrypt cost (2^14 rounds, about four times the common default of 12). */
  bcryptMaxCost: 14,
} as const;

/**
 * Why a hash may not be imported, or `null` when it may: it must parse in full and stay within
 * {@link IMPORT_HASH_LIMITS}. The reason names the field at fault, never the hash itself.
 */
export function checkImportedHash(stored: string): string | null {
  const parsed = parsePasswordHash(stored);
  if (parsed === null) return 'not a complete argon2 (PHC) or bcrypt hash';
  const limits = IMPORT_HASH_LIMITS;
  if (parsed.scheme === 'bcrypt') {
    return parsed.cost > limits.bcryptMaxCost ? `bcrypt cost ${parsed.cost} is above ${limits.bcryptMaxCost}` : null;
  }
  if (parsed.memoryCost > limits.argon2MaxMemoryCost) return `argon2 memory m=${parsed.memoryCost} KiB is above ${limits.argon2MaxMemoryCost} KiB`;
  if (parsed.timeCost > limits.argon2MaxTimeCost) return `argon2 time cost t=${parsed.timeCost} is above ${limits.argon2MaxTimeCost}`;
  if (parsed.parallelism > limits.argon2MaxParallelism) return `argon2 parallelism p=${parsed.parallelism} is above ${limits.argon2MaxParallelism}`;
  if (parsed.memoryCost * parsed.timeCost > limits.argon2MaxWork) {
    return `argon2 cost m×t=${parsed.memoryCost * parsed.timeCost} KiB is above ${limits.argon2MaxWork} KiB`;
  }
  return null;
}
