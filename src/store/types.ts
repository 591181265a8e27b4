import type { User } from '../core/user.js';

/** Fields a new user is created with; the email is already normalised. */
export interface NewUser {
  email: string;
  hashedPassword: string;
  isActive?: boolean;
  isSuperuser?: boolean;
  isVerified?: boolean;
}

/** Fields that may change on a user; omitted fields are kept. */
export type UserPatch = Partial<Pick<User, 'email' | 'hashedPassword' | 'isActive' | 'isSuperuser' | 'isVerified'>>;

/** Persistence of users. "Not found" and "taken" are results, not exceptions. */
export interface UserStore {
  /** Creates a user, or returns `null` when the email is taken (including by a concurrent insert). */
  createUser(user: NewUser, now: Date): Promise<User | null>;
  findUserById(id: number): Promise<User | null>;
  findUserByEmail(email: string): Promise<User | null>;
  /** Applies a patch; `'email-taken'` when the new email belongs to someone else; `null` when absent. */
  updateUser(id: number, patch: UserPatch, now: Date): Promise<User | null | 'email-taken'>;
  /** Replaces a hash only if it is still `expected` (a concurrent login may have upgraded it). */
  replacePasswordHash(id: number, expected: string, replacement: string, now: Date): Promise<boolean>;
  /** Deletes a user and, by cascade, its tokens; false when absent. */
  deleteUser(id: number): Promise<boolean>;
  listUsers(offset: number, limit: number): Promise<User[]>;
}

/** One access token as stored: its digest, never the token. */
export interface AccessTokenRecord {
  digest: string;
  userId: number;
  expiresAt: Date;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
}

/** Persistence of access tokens (sessions). */
export interface TokenStore {
  createToken(record: AccessTokenRecord): Promise<void>;
  /** The unexpired token with this digest and its user, in one round trip; `null` otherwise. */
  findSession(digest: string, now: Date): Promise<{ token: AccessTokenRecord; user: User } | null>;
  /** Records use of a session (for the sessions list). */
  touchToken(digest: string, now: Date): Promise<void>;
  /** Deletes one token; false when it did not exist. */
  deleteToken(digest: string): Promise<boolean>;
  /** Deletes every token of a user except `keepDigest`; returns how many went. */
  deleteUserTokens(userId: number, keepDigest?: string): Promise<number>;
  /** Unexpired tokens of a user, newest first. */
  listUserTokens(userId: number, now: Date): Promise<AccessTokenRecord[]>;
  /** Purges tokens expired at `now`; returns how many went. */
  deleteExpiredTokens(now: Date): Promise<number>;
}

/** What a single-use account token is for. */
export type ActionPurpose = 'reset' | 'verify';

/** A password-reset or email-verification token as stored: its digest, never the token. */
export interface ActionTokenRecord {
  digest: string;
  purpose: ActionPurpose;
  userId: number;
  /** The address the token was mailed to (verification is bound to it). */
  email: string;
  /** SHA-256 of the password hash when issued (reset tokens), so a password change voids them. */
  passwordFingerprint: string | null;
  expiresAt: Date;
  createdAt: Date;
}

/** Persistence of single-use reset and verification tokens. */
export interface ActionTokenStore {
  createActionToken(record: ActionTokenRecord): Promise<void>;
  /** The token with this digest and purpose, expired or not (the caller decides); `null` when absent. */
  findActionToken(digest: string, purpose: ActionPurpose): Promise<ActionTokenRecord | null>;
  /**
   * Deletes the token and returns it, in one statement (`DELETE … RETURNING`): of two concurrent
   * uses exactly one gets the record, the other `null`. This is what makes tokens single use.
   */
  consumeActionToken(digest: string, purpose: ActionPurpose): Promise<ActionTokenRecord | null>;
  /** Deletes a user's tokens (of one purpose, or all); returns how many went. */
  deleteUserActionTokens(userId: number, purpose?: ActionPurpose): Promise<number>;
  /** Purges tokens expired at `now`; returns how many went. */
  deleteExpiredActionTokens(now: Date): Promise<number>;
}

/** Everything the service persists, plus its lifecycle. */
export interface Store extends UserStore, TokenStore, ActionTokenStore {
  /** Answers when the database is reachable; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Atomic counters with expiry, for throttles: in memory for one process, Redis for many. */
export interface CounterStore {
  /**
   * Adds one to `key` (creating it with `windowSeconds` to live) and returns the count and seconds
   * left. A store that cannot hold a new key throws {@link CounterStoreFullError}; it never makes
   * room by dropping a live counter.
   */
  increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }>;
  /** The current count and seconds left, or 0 when absent. */
  get(key: string): Promise<{ count: number; ttlSeconds: number }>;
  reset(key: string): Promise<void>;
  /** Takes one back from `key` if it exists (never below 0, window unchanged): refunds an attempt that succeeded. */
  decrement(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A bounded counter store is full of live counters and refuses a new key. The throttle answers
 * it as a refusal (429 with `Retry-After`): counting must not stop, and evicting a live counter
 * would undo someone's throttle.
 */
export class CounterStoreFullError extends Error {
  /** Seconds until a slot frees at the latest (the oldest live counter's window ends). */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('counter store full');
    this.name = 'CounterStoreFullError';
    this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
  }
}
