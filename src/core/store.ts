import type { ApiKeyStore } from '../features/api-keys/api-key-store.js';
import type { EmailSignInStore } from '../features/email-sign-in/store.js';
import type { User } from './user.js';

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
  /**
   * When the session last proved a factor: its sign-in, or a later re-authentication
   * (docs/security.md, "Recent authentication").
   */
  authenticatedAt: Date;
  /** The RFC 8176 methods its sign-in proved (`pwd`, `otp`, `hwk`, …), or `null` when not recorded. */
  amr: string[] | null;
  /** The superuser this session was opened for (support impersonation, docs/audit.md); absent for an ordinary session. */
  impersonatorId?: number;
}

/** What a new access token is saved with: without `authenticatedAt` it is `createdAt`; without `amr`, none recorded. */
export type NewAccessToken = Omit<AccessTokenRecord, 'authenticatedAt' | 'amr'> &
  Partial<Pick<AccessTokenRecord, 'authenticatedAt'>> & { amr?: readonly string[] | null };

/** Persistence of access tokens (sessions). */
export interface TokenStore {
  createToken(record: NewAccessToken): Promise<void>;
  /** The unexpired token with this digest and its user, in one round trip; `null` otherwise. */
  findSession(digest: string, now: Date): Promise<{ token: AccessTokenRecord; user: User } | null>;
  /** Records use of a session (for the sessions list). */
  touchToken(digest: string, now: Date): Promise<void>;
  /** Records that an unexpired session proved a factor again at `now`; false when there is no such session. */
  reauthenticateToken(digest: string, now: Date): Promise<boolean>;
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

/** A user's TOTP enrolment as stored: the secret only encrypted. */
export interface TOTPRecord {
  userId: number;
  encryptedSecret: string;
  /** False while pending (enrolled, first code not yet given). */
  confirmed: boolean;
  /** The last time step a code was accepted for (RFC 6238 §5.2: no second use), or `null`. */
  lastUsedStep: number | null;
  createdAt: Date;
}

/** Persistence of TOTP secrets and recovery codes (docs/two-factor.md). */
export interface SecondFactorStore {
  /** Starts (or restarts) a pending enrolment; an already confirmed one is left alone: false then. */
  savePendingTOTP(userId: number, encryptedSecret: string, now: Date): Promise<boolean>;
  findTOTP(userId: number): Promise<TOTPRecord | null>;
  /**
   * Records that a code for `step` was accepted, only if no code for this step or a later one was
   * (compare-and-set in one statement): of two concurrent uses of a code exactly one gets true.
   * With `confirm`, also marks the enrolment confirmed.
   */
  useTOTPStep(userId: number, step: number, options?: { confirm?: boolean }): Promise<boolean>;
  /** Replaces the ciphertext if it is still `expected` (re-encryption under a new key). */
  replaceTOTPSecret(userId: number, expected: string, replacement: string): Promise<boolean>;
  /** Removes the TOTP enrolment and every recovery code; false when there was none. */
  deleteTOTP(userId: number): Promise<boolean>;
  /** Replaces the user's recovery codes by these digests. */
  replaceRecoveryCodes(userId: number, digests: string[], now: Date): Promise<void>;
  /** Marks an unused code used, in one conditional statement: true for exactly one of two concurrent uses. */
  useRecoveryCode(userId: number, digest: string, now: Date): Promise<boolean>;
  /** How many unused recovery codes the user has left. */
  countRecoveryCodes(userId: number): Promise<number>;
}

/** A WebAuthn credential (passkey) as stored. */
export interface PasskeyRecord {
  id: number;
  userId: number;
  /** base64url credential id, as the authenticator names it. */
  credentialId: string;
  /** base64url COSE public key. */
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a new passkey is saved with. */
export type NewPasskey = Omit<PasskeyRecord, 'id' | 'lastUsedAt'>;

/** What a WebAuthn challenge is for. */
export type ChallengePurpose = 'register' | 'login';

/** A WebAuthn challenge as stored: its digest, never the challenge. */
export interface ChallengeRecord {
  digest: string;
  purpose: ChallengePurpose;
  /** The user registering (`register`), `null` for a sign-in. */
  userId: number | null;
  expiresAt: Date;
}

/** Persistence of passkeys and their single-use challenges. */
export interface PasskeyStore {
  /** Saves a credential; `null` when its credential id is already registered. */
  createPasskey(passkey: NewPasskey): Promise<PasskeyRecord | null>;
  listPasskeys(userId: number): Promise<PasskeyRecord[]>;
  findPasskeyByCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** Records a use: the new counter only if the stored one is still `expectedCounter` (compare-and-set). */
  usePasskey(id: number, expectedCounter: number, counter: number, now: Date): Promise<boolean>;
  /** Deletes one of the user's passkeys; false when it is not theirs or unknown. */
  deletePasskey(userId: number, id: number): Promise<boolean>;
  /**
   * Saves a challenge. With `keepPerUser`, a user's challenge also removes that user's older
   * challenges of the same purpose beyond the newest `keepPerUser` (this one included), so one
   * account cannot fill the table however many it asks for.
   */
  createChallenge(record: ChallengeRecord, keepPerUser?: number): Promise<void>;
  /** Deletes and returns an unexpired challenge in one statement (single use); `null` otherwise. */
  consumeChallenge(digest: string, purpose: ChallengePurpose, now: Date): Promise<ChallengeRecord | null>;
  /** Purges challenges expired at `now`; returns how many went. */
  deleteExpiredChallenges(now: Date): Promise<number>;
}

/** A user's identity at another provider (OAuth 2.0 / OpenID Connect), as linked. */
export interface OAuthAccount {
  id: number;
  userId: number;
  /** The provider's configured name. */
  oauthName: string;
  /** The provider's stable subject (`sub`, or GitHub's numeric id), as text. */
  accountId: string;
  /** The email the provider gave when the link was made. */
  accountEmail: string;
  /**
   * Whether the provider asserted that email verified when the link was made (`false` for links
   * made before this was recorded). Links without it are dropped when the mailbox owner proves
   * the user's address (docs/oauth.md, "Who signs in: the linking rules").
   */
  emailVerified: boolean;
  createdAt: Date;
}

/** Fields of a new link. */
export type NewOAuthAccount = Omit<OAuthAccount, 'id' | 'createdAt'>;

/** Persistence of linked provider identities; deleting a user deletes its links (cascade). */
export interface OAuthAccountStore {
  /** Links an identity; `null` when `(oauthName, accountId)` is already linked (to anyone, concurrent inserts included). */
  linkOAuthAccount(account: NewOAuthAccount, now: Date): Promise<OAuthAccount | null>;
  /** The link of an identity, or `null`. */
  findOAuthAccount(oauthName: string, accountId: string): Promise<OAuthAccount | null>;
  /** A user's links, oldest first. */
  listOAuthAccounts(userId: number): Promise<OAuthAccount[]>;
  /**
   * Removes one of a user's links: `'not-found'` when that user has no link with this id;
   * `'last'` (and nothing removed) when `keepLast` is set and it is the user's only link — decided
   * under a lock on the user, so two concurrent unlinks cannot remove the last two.
   */
  unlinkOAuthAccount(userId: number, id: number, options?: { keepLast?: boolean }): Promise<'unlinked' | 'not-found' | 'last'>;
  /** Removes a user's links whose email the provider did not assert verified; returns how many went. */
  deleteUnverifiedOAuthAccounts(userId: number): Promise<number>;
}

/** Everything the service persists, plus its lifecycle. */
export interface Store extends UserStore, TokenStore, ActionTokenStore {
  /** TOTP secrets and recovery codes. */
  readonly secondFactor: SecondFactorStore;
  /** Passkeys and WebAuthn challenges. */
  readonly passkeys: PasskeyStore;
  /** Linked provider identities. */
  readonly oauthAccounts: OAuthAccountStore;
  /** API keys (the capability's own interface: src/features/api-keys). */
  readonly apiKeys: ApiKeyStore;
  /** Sign-in requests by email link or code (src/features/email-sign-in/store.ts). */
  readonly emailSignIns: EmailSignInStore;
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
