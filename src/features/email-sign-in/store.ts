/**
 * One request to sign in by email, as stored: digests only — of the link's token, of the code
 * (keyed, since six digits are too few to keep as a plain hash) and of the binding that ties the
 * request to the browser cookie or the bearer client's `request_id` that asked.
 */
export interface EmailSignInRecord {
  id: number;
  /** The account the mail was sent for; `null` for an address without one (with sign-up on). */
  userId: number | null;
  /** The stored address the mail went to (normalised). */
  email: string;
  /** SHA-256 of the link's token; `null` when no link was sent (a bearer client gets the code only). */
  linkDigest: string | null;
  /** HMAC of the code under the secret key (docs/email-sign-in.md). */
  codeDigest: string;
  /** SHA-256 of the binding (the browser cookie's value, or the bearer `request_id`). */
  bindingDigest: string;
  transport: EmailSignInTransport;
  /** Tries of the code spent so far (a right code gives its try back). */
  attempts: number;
  expiresAt: Date;
  usedAt: Date | null;
  createdAt: Date;
}

/** How the client that asked will finish: a browser (cookie), or an API client (bearer token). */
export type EmailSignInTransport = 'cookie' | 'bearer';

/** What a new request is saved with. */
export type NewEmailSignIn = Omit<EmailSignInRecord, 'id' | 'attempts' | 'usedAt'>;

/** Persistence of email sign-in requests (migration 0011). Every method is atomic on its row. */
export interface EmailSignInStore {
  createEmailSignIn(request: NewEmailSignIn): Promise<EmailSignInRecord>;
  /** The request whose link token has this digest, used or not, expired or not; `null` when none. */
  findEmailSignInByLink(linkDigest: string): Promise<EmailSignInRecord | null>;
  /** The request made with this binding, used or not, expired or not; `null` when none. */
  findEmailSignInByBinding(bindingDigest: string): Promise<EmailSignInRecord | null>;
  /**
   * Takes one try of the code: true when the request was unused, unexpired at `now` and had fewer
   * than `maxAttempts` tries spent, decided in one statement so concurrent guesses cannot
   * overrun the limit.
   */
  takeEmailSignInTry(id: number, maxAttempts: number, now: Date): Promise<boolean>;
  /** Gives a try back (a right code): never below 0. */
  returnEmailSignInTry(id: number): Promise<void>;
  /** Spends the request: true for the one caller that found it unused and unexpired at `now`. */
  useEmailSignIn(id: number, now: Date): Promise<boolean>;
  /** Deletes requests expired at `now`; returns how many went. */
  deleteExpiredEmailSignIns(now: Date): Promise<number>;
}
