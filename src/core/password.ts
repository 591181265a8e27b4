import { Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { createHash, randomBytes } from 'node:crypto';
import { FairLimit } from './fair-limit.js';

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
const ARGON2_PHC = /^\$(argon2id|argon2i|argon2d)\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/;
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

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
    return this.inTurn(from, () =>
      argon2Hash(password, { algorithm: Algorithm.Argon2id, outputLen: 32, ...this.parameters }),
    );
  }

  /** Verifies a password against any hash of the context; an unknown format is simply invalid. */
  async verifyPassword(password: string, hashed: string, from: HashRequester = {}): Promise<VerifyResult> {
    const argon = ARGON2_PHC.exec(stripDjangoPrefix(hashed, 'argon2'));
    if (argon) {
      const phc = stripDjangoPrefix(hashed, 'argon2');
      const valid = await this.inTurn(from, () => argon2Verify(phc, password).catch(() => false));
      return valid ? { valid, needsRehash: this.argonNeedsRehash(argon, phc !== hashed) } : INVALID;
    }
    const bcrypt = parseBcrypt(hashed);
    if (bcrypt) {
      const input = bcrypt.sha256 ? createHash('sha256').update(password).digest('hex') : password;
      // bcrypt silently ignores bytes past 72; refusing keeps "abc…(72)X" from matching "abc…(72)Y".
      if (Buffer.byteLength(input) > BCRYPT_MAX_BYTES) return INVALID;
      const valid = await this.inTurn(from, () => bcryptVerify(input, bcrypt.hash).catch(() => false));
      return valid ? { valid, needsRehash: true } : INVALID;
    }
    return INVALID;
  }

  /**
   * Spends the same work as verifying against a real current hash, for unknown users, so response
   * time does not reveal whether an account exists (OWASP Authentication CS, "login throttling").
   */
  async verifyDummy(password: string, from: HashRequester = {}): Promise<void> {
    this.dummyHash ??= this.hashPassword(randomBytes(24).toString('base64url'));
    await this.verifyPassword(password, await this.dummyHash, from);
  }

  /** True when a hash is not argon2id at exactly the current parameters. */
  needsRehash(hashed: string): boolean {
    const argon = ARGON2_PHC.exec(hashed);
    return argon ? this.argonNeedsRehash(argon, false) : true;
  }

  private inTurn<T>(from: HashRequester, task: () => Promise<T>): Promise<T> {
    return this.limit.run(from.requester ?? '', task);
  }

  private argonNeedsRehash(match: RegExpExecArray, prefixed: boolean): boolean {
    const [, algorithm, version, m, t, p] = match;
    const current = this.parameters;
    return (
      prefixed ||
      algorithm !== 'argon2id' ||
      version !== '19' ||
      Number(m) !== current.memoryCost ||
      Number(t) !== current.timeCost ||
      Number(p) !== current.parallelism
    );
  }
}

function stripDjangoPrefix(hashed: string, scheme: string): string {
  return hashed.startsWith(`${scheme}$`) ? hashed.slice(scheme.length) : hashed;
}

/** bcrypt in its plain modular-crypt form, or Django's `bcrypt$…` / `bcrypt_sha256$…` wrappers. */
function parseBcrypt(hashed: string): { hash: string; sha256: boolean } | null {
  let sha256 = false;
  let hash = hashed;
  if (hash.startsWith('bcrypt_sha256$')) {
    sha256 = true;
    hash = hash.slice('bcrypt_sha256$'.length);
  } else if (hash.startsWith('bcrypt$')) {
    hash = hash.slice('bcrypt$'.length);
  }
  return BCRYPT.test(hash) ? { hash, sha256 } : null;
}

/**
 * True when a stored hash is in a format the context verifies (argon2 PHC, bcrypt, or Django's
 * `argon2$…`/`bcrypt$…`/`bcrypt_sha256$…`): what `import` accepts as it is.
 */
export function isSupportedHash(hashed: string): boolean {
  return ARGON2_PHC.test(stripDjangoPrefix(hashed, 'argon2')) || parseBcrypt(hashed) !== null;
}
