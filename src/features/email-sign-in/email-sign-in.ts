import { randomInt } from 'node:crypto';
import type { AuthService } from '../../core/auth-service.js';
import { isPlainMailbox, normalizeEmail } from '../../core/email.js';
import { AuthError } from '../../core/errors.js';
import { macFor, verifyMac } from '../../core/keyed-mac.js';
import type { MailMessage } from '../../core/mail.js';
import { constantTimeEqual, digestToken, generateToken, looksLikeToken } from '../../core/token.js';
import { hasUsablePassword, UNUSABLE_PASSWORD, type User } from '../../core/user.js';
import { emailSignInMail } from './mail.js';
import type { EmailSignInRecord, EmailSignInStore, EmailSignInTransport } from './store.js';

/** A link and its code live 10 minutes (docs/email-sign-in.md; OWASP Authentication CS, short-lived one-time secrets). */
export const EMAIL_SIGN_IN_LIFETIME_SECONDS = 10 * 60;
/** Wrong codes a request survives: the fifth kills it (NIST SP 800-63B §5.2.2, limit failed attempts per secret). */
export const EMAIL_CODE_TRIES = 5;
/** Where the web page takes the link; the token is in the fragment, which browsers never send. */
export const EMAIL_SIGN_IN_LINK_PATH = '/#/email-sign-in?token=';

/** Keeps the code's MAC apart from every other use of the secret key. */
const CODE_PURPOSE = 'email-sign-in-code!';

/** What a link or a code proved: the account (made now for a new address with sign-up on) and the request to spend. */
export interface EmailSignInProof {
  user: User;
  request: EmailSignInRecord;
  /** The account was made by this proof (sign-up by mail), for the audit log. */
  created?: true;
}

export interface EmailSignInSettings {
  /** Base of the link: `publicUrl` (and the route prefix), never the request's `Host`. */
  linkBase: string;
  /** Whether an address without an account gets one by proving it (`EMAIL_SIGNUP`); default off. */
  signup: boolean;
}

/** Six digits from the CSPRNG, leading zeros kept. */
function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Sign-in by a mailed link or code (docs/email-sign-in.md). A request is bound to the client that
 * asked — a browser's cookie, or a bearer client's `request_id` — whose digest is stored with it:
 * the link alone, opened elsewhere (a mail scanner, another person's browser), signs no one in.
 * Only digests are stored: SHA-256 of the 256-bit link token and of the binding, and for the code,
 * whose six digits a plain hash would give away, an HMAC under the secret key.
 */
export class EmailSignInService {
  private readonly auth: AuthService;
  private readonly store: EmailSignInStore;
  private readonly linkBase: string;
  private readonly signup: boolean;

  constructor(auth: AuthService, store: EmailSignInStore, settings: EmailSignInSettings) {
    this.auth = auth;
    this.store = store;
    this.linkBase = settings.linkBase.replace(/\/$/, '');
    this.signup = settings.signup;
  }

  /**
   * The mail for a request by `email` (as typed) from the client bound by `binding`, or `null`
   * (no active account and no sign-up, or an address that is not one plain mailbox). Runs in the
   * mail outbox after the 202, so known and unknown addresses are answered alike; both purge the
   * expired requests first. The mail goes to the stored address only, never to what was typed.
   */
  async mailFor(email: string, binding: string, transport: EmailSignInTransport): Promise<MailMessage | null> {
    const now = this.auth.options.now();
    await this.store.deleteExpiredEmailSignIns(now);
    const normalized = normalizeEmail(email);
    const user = await this.auth.store.findUserByEmail(normalized);
    if (user ? !user.isActive : !this.signup) return null;
    const address = user ? user.email : normalized;
    if (!isPlainMailbox(address)) return null;
    const token = transport === 'cookie' ? generateToken() : null;
    const code = newCode();
    const bindingDigest = digestToken(binding);
    await this.store.createEmailSignIn({
      userId: user ? user.id : null,
      email: address,
      linkDigest: token === null ? null : digestToken(token),
      codeDigest: macFor(this.auth.options.secretKey, CODE_PURPOSE, `${bindingDigest}!${code}`),
      bindingDigest,
      transport,
      expiresAt: new Date(now.getTime() + EMAIL_SIGN_IN_LIFETIME_SECONDS * 1000),
      createdAt: now,
    });
    const link = token === null ? null : `${this.linkBase}${EMAIL_SIGN_IN_LINK_PATH}${token}`;
    return emailSignInMail(address, { link, code, lifetimeSeconds: EMAIL_SIGN_IN_LIFETIME_SECONDS });
  }

  /**
   * The account a link proves, for the browser bound by `binding` (its cookie's value, if any).
   * A valid link from another browser is {@link AuthError} `EMAIL_SIGN_IN_OTHER_BROWSER` and stays
   * usable where it was asked for; anything else wrong is `EMAIL_SIGN_IN_BAD_LINK`.
   */
  async proveLink(token: string, binding: string | undefined): Promise<EmailSignInProof> {
    const bad = new AuthError('EMAIL_SIGN_IN_BAD_LINK');
    if (!looksLikeToken(token)) throw bad;
    const request = await this.store.findEmailSignInByLink(digestToken(token));
    if (request?.transport !== 'cookie' || !this.usable(request)) throw bad;
    if (binding === undefined || !constantTimeEqual(digestToken(binding), request.bindingDigest)) throw new AuthError('EMAIL_SIGN_IN_OTHER_BROWSER');
    const account = await this.accountOf(request);
    if (!account) throw bad;
    return { ...account, request };
  }

  /**
   * The account a code proves, for the client bound by `binding`, or `null`. Each code has
   * {@link EMAIL_CODE_TRIES} tries, taken atomically before the comparison; a right code gives
   * its try back.
   */
  async proveCode(email: string, code: string, binding: string | undefined, transport: EmailSignInTransport): Promise<EmailSignInProof | null> {
    if (binding === undefined || !/^\d{6}$/.test(code)) return null;
    const request = await this.store.findEmailSignInByBinding(digestToken(binding));
    if (!request || request.transport !== transport || request.email !== normalizeEmail(email)) return null;
    if (!(await this.store.takeEmailSignInTry(request.id, EMAIL_CODE_TRIES, this.auth.options.now()))) return null;
    const { secretKey, secretKeyFallbacks } = this.auth.options;
    if (!verifyMac([secretKey, ...secretKeyFallbacks], CODE_PURPOSE, `${request.bindingDigest}!${code}`, request.codeDigest)) return null;
    await this.store.returnEmailSignInTry(request.id);
    const account = await this.accountOf(request);
    return account && { ...account, request };
  }

  /**
   * Spends the request, once, and returns the account as it now is: `null` when another use
   * spent it first (or it just expired). Reading
   * the mail proved the address, so the account becomes verified. If it was not verified, whoever
   * set its password or linked its provider identities never proved the address: the password
   * becomes unusable, its other sessions end, and identities linked from an email the provider
   * never vouched for are dropped — an account pre-registered under someone's address does not
   * stay open to its maker once the owner signs in (Sudhodanan & Paverd, "Pre-hijacked accounts",
   * USENIX Security 2022; docs/email-sign-in.md, "The account").
   */
  async spend(proof: EmailSignInProof): Promise<User | null> {
    const now = this.auth.options.now();
    if (!(await this.store.useEmailSignIn(proof.request.id, now))) return null;
    const { user } = proof;
    if (user.isVerified) return user;
    await this.auth.store.oauthAccounts.deleteUnverifiedOAuthAccounts(user.id);
    if (hasUsablePassword(user)) {
      await this.auth.store.replacePasswordHash(user.id, user.hashedPassword, UNUSABLE_PASSWORD, now);
      await this.auth.revokeUserTokens(user.id);
    }
    const updated = await this.auth.store.updateUser(user.id, { isVerified: true }, now);
    return updated && updated !== 'email-taken' ? updated : null;
  }

  /** The id of the account with this address, or `null` (the audit log's subject of a failed code). */
  async accountIdOf(email: string): Promise<number | null> {
    return (await this.auth.store.findUserByEmail(normalizeEmail(email)))?.id ?? null;
  }

  private usable(request: EmailSignInRecord): boolean {
    return request.usedAt === null && request.expiresAt.getTime() > this.auth.options.now().getTime();
  }

  /**
   * The active account the request is for, its address unchanged since the mail went out; for an
   * address that had none, the account made now (sign-up still on), verified by this very proof.
   */
  private async accountOf(request: EmailSignInRecord): Promise<{ user: User; created?: true } | null> {
    if (request.userId !== null) {
      const user = await this.auth.store.findUserById(request.userId);
      return user?.isActive && user.email === request.email ? { user } : null;
    }
    if (!this.signup) return null;
    const now = this.auth.options.now();
    // No password: the account signs in by mail (or a provider) until its owner sets one.
    const created = await this.auth.store.createUser({ email: request.email, hashedPassword: UNUSABLE_PASSWORD, isVerified: true }, now);
    // Registered meanwhile, by this address's owner or not: the mailbox is what decides.
    const user = created ?? (await this.auth.store.findUserByEmail(request.email));
    if (!user?.isActive) return null;
    return created ? { user, created: true } : { user };
  }
}
