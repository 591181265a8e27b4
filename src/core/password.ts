import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { createHash, randomBytes } from 'node:crypto';
import { FairLimit } from './fair-limit.js';
import { parsePasswordHash, type Argon2Hash, type PasswordHash } from './password-hash.js';

/** argon2id cost parameters (memory in KiB). */
export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's first argon2id row: m=19 MiB, t=2, p=1. */
export const DEFAULT_ARGON2: Readonly<Argon2Parameters> = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes running at once; more would only queue in libuv's 4-thread pool and hold memory. */
export const DEFAULT_HASH_CONCURRENCY = 4;

export interface PasswordContextOptions {
  /** argon2id parameters for new hashes (default {@link DEFAULT_ARGON2}). */
  argon2?: Partial<Argon2Parameters>;
  /** Most hashes computed at once (default {@link DEFAULT_HASH_CONCURRENCY}). */
  concurrency?: number;
}

/** Who a hash is computed for. */
export interface HashRequester {
  /**
   * Whose turn the hash takes (the client address's throttle key, for a request): hashing is
   * shared in turns between requesters; default one turn shared by every unnamed caller.
   */
  requester?: string;
}

/** The outcome of a verification: whether it matched and whether the hash should be replaced. */
export interface VerifyResult {
  valid: boolean;
  needsRehash: boolean;
}

const INVALID: VerifyResult = { valid: false, needsRehash: false };
const BCRYPT_MAX_BYTES = 72;

/**
 * A context of password schemes, like passlib's `CryptContext(schemes=[argon2, bcrypt],
 * deprecated="auto")`: new hashes are argon2id with the configured parameters; bcrypt
 * (`$2a$/$2b$/$2y$`, bare or with Django's `bcrypt$`/`bcrypt_sha256$` prefix) and argon2 hashes
 * with other parameters still verify and report `needsRehash`, so a login upgrades them.
 *
 * Hashing runs on libuv's thread pool (the native binding is asynchronous) behind a limiter, so
 * a login storm queues instead of stalling the event loop or exhausting memory; the limiter takes
 * requesters in turn ({@link FairLimit}), so one client's storm does not hold everyone else's
 * login behind it.
 */
export class PasswordContext {
  readonly parameters: Readonly<Argon2Parameters>;
  private readonly limit: FairLimit;
  private dummyHash: Promise<string> | undefined;

  constructor(options: PasswordContextOptions = {}) {
    this.parameters = { ...DEFAULT_ARGON2, ...options.argon2 };
    this.limit = new FairLimit(options.concurrency ?? DEFAULT_HASH_CONCURRENCY);
  }

  /** A fresh argon2id PHC string (random 16-byte salt) for an already-normalised password. */
  hashPassword(password: string, from: HashRequester = {}): Promise<string> {
    return this.inTurn(from, () => argon2Hash(password, { algorithm: Algorithm.Argon2id, outputLen: 32, ...this.parameters }));
  }

  /**
   * Verifies a password against any hash of the context; an unknown format is simply invalid.
   *
   * Every call costs at least one verification at the current parameters, as an unknown email
   * does ({@link verifyDummy}), so the time of a failed login does not tell accounts apart
   * (OWASP Authentication CS, "Authentication responses"; ASVS 5.0 V6.3.8). A hash with other
   * parameters — bcrypt or older argon2 from an import, cheaper or dearer than ours until the
   * next login upgrades it — is verified while a dummy verification runs beside it, so the
   * answer comes no sooner than an unknown email's. Running both at once rather than one after
   * the other keeps the cost at the dearer of the two: a legacy hash as costly as ours is not
   * made twice as slow (docs/security-hardening.md).
   */
  async verifyPassword(password: string, hashed: string, from: HashRequester = {}): Promise<VerifyResult> {
    const parsed = parsePasswordHash(hashed);
    if (parsed === null) {
      await this.verifyDummy(password, from);
      return INVALID;
    }
    if (parsed.scheme === 'argon2' && !this.argonNeedsRehash(parsed)) return this.verifyParsed(password, parsed, from);
    const [result] = await Promise.all([this.verifyParsed(password, parsed, from), this.verifyDummy(password, from)]);
    return result;
  }

  private async verifyParsed(password: string, parsed: PasswordHash, from: HashRequester): Promise<VerifyResult> {
    if (parsed.scheme === 'argon2') {
      const valid = await this.inTurn(from, () => argon2Verify(parsed.phc, password).catch(() => false));
      return valid ? { valid, needsRehash: this.argonNeedsRehash(parsed) } : INVALID;
    }
    const input = parsed.sha256 ? createHash('sha256').update(password).digest('hex') : password;
    // bcrypt silently ignores bytes past 72; refusing keeps "abc…(72)X" from matching "abc…(72)Y".
    if (Buffer.byteLength(input) > BCRYPT_MAX_BYTES) return INVALID;
    const valid = await this.inTurn(from, () => bcryptVerify(input, parsed.hash).catch(() => false));
    return valid ? { valid, needsRehash: true } : INVALID;
  }

  /**
   * Spends the same work as verifying against a real current hash, for unknown users, so response
   * time does not reveal whether an account exists (OWASP Authentication CS, "login throttling").
   */
  async verifyDummy(password: string, from: HashRequester = {}): Promise<void> {
    this.dummyHash ??= this.hashPassword(randomBytes(24).toString('base64url'));
    await this.verifyParsed(password, parsePasswordHash(await this.dummyHash)!, from);
  }

  /** True when a hash is not argon2id at exactly the current parameters. */
  needsRehash(hashed: string): boolean {
    const parsed = parsePasswordHash(hashed);
    return parsed?.scheme === 'argon2' ? this.argonNeedsRehash(parsed) : true;
  }

  private inTurn<T>(from: HashRequester, task: () => Promise<T>): Promise<T> {
    return this.limit.run(from.requester ?? '', task);
  }

  private argonNeedsRehash(hash: Argon2Hash): boolean {
    const current = this.parameters;
    return (
      hash.djangoPrefix ||
      hash.variant !== 'argon2id' ||
      hash.version !== 19 ||
      hash.memoryCost !== current.memoryCost ||
      hash.timeCost !== current.timeCost ||
      hash.parallelism !== current.parallelism
    );
  }
}
