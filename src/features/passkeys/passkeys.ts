import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { PasskeyRecord } from '../../core/store.js';
import type { AuthService } from '../../core/auth-service.js';
import { AuthError } from '../../core/errors.js';
import { randomBytes } from 'node:crypto';
import { digestToken, TOKEN_BYTES } from '../../core/token.js';
import type { User } from '../../core/user.js';

/**
 * @simplewebauthn/server and the ASN.1/X.509 packages under it take about 0.3 s of CPU to load:
 * loaded at the first passkey request, not by every process that starts the plugin (as pg and
 * nodemailer are, src/optional-packages.ts).
 */
const webauthn = () => import('@simplewebauthn/server');

/** Challenges live five minutes and are spent once (WebAuthn Level 3 §13.4.3). */
export const CHALLENGE_LIFETIME_SECONDS = 5 * 60;
/** 256 random bits per challenge, as our tokens (WebAuthn §13.4.3 asks for at least 16 bytes). */
const CHALLENGE_BYTES = TOKEN_BYTES;
/**
 * Registration challenges kept per user: a few, for a user with several tabs or a retry after a
 * cancelled prompt; asking again replaces the oldest, so one account cannot fill the table.
 */
export const MAX_REGISTRATION_CHALLENGES_PER_USER = 3;
/** What a passkey is called when the user gives no name. */
export const DEFAULT_PASSKEY_NAME = 'Passkey';

/** Who we are to authenticators: the RP ID (PUBLIC_URL's host name) and the origin clients must report. */
export interface RelyingParty {
  id: string;
  origin: string;
  name: string;
}

/** The relying party of a base URL: its host name as RP ID (no port, WebAuthn §5.1.2), its origin. */
export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: url.hostname };
}

/**
 * Passkeys (WebAuthn discoverable credentials) through @simplewebauthn/server: registration while
 * signed in, the list, deletion, and sign-in without an email. User verification and resident
 * keys are required, so a passkey is both factors (NIST SP 800-63B §5.1.8: a multi-factor
 * cryptographic authenticator). Challenges are stored by digest and consumed atomically; the
 * signature counter is kept and must grow (WebAuthn §6.1.1), written by compare-and-set.
 */
export class PasskeyService {
  private readonly auth: AuthService;
  private readonly rp: RelyingParty;

  constructor(auth: AuthService, rp: RelyingParty) {
    this.auth = auth;
    this.rp = rp;
  }

  private get store() {
    return this.auth.store.passkeys;
  }

  /** Options for `navigator.credentials.create()`; the challenge is bound to this user. */
  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.store.listPasskeys(user.id);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: user.email,
      userID: userHandleOf(user.id),
      challenge: randomBytes(CHALLENGE_BYTES),
      timeout: CHALLENGE_LIFETIME_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    });
    // `options.challenge` is the base64url text the client signs over and sends back.
    await this.saveChallenge(options.challenge, 'register', user.id);
    return options;
  }

  /** Verifies a registration response for `user` and saves the credential; 400 `PASSKEY_INVALID` otherwise. */
  async register(user: User, response: RegistrationResponseJSON, name: string | undefined): Promise<PasskeyRecord> {
    const now = this.auth.options.now();
    let verified;
    try {
      verified = await (await webauthn()).verifyRegistrationResponse({
        response,
        // Spent here, whatever the outcome: a challenge is single use.
        expectedChallenge: async (challenge) => (await this.store.consumeChallenge(digestToken(challenge), 'register', now))?.userId === user.id,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        requireUserVerification: true,
      });
    } catch {
      throw new AuthError('PASSKEY_INVALID');
    }
    if (!verified.verified) throw new AuthError('PASSKEY_INVALID');
    const { credential } = verified.registrationInfo;
    const created = await this.store.createPasskey({
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      name: name?.trim() || DEFAULT_PASSKEY_NAME,
      createdAt: now,
    });
    // Already registered (to this or another account): WebAuthn §7.1 step 26 says refuse.
    if (!created) throw new AuthError('PASSKEY_INVALID');
    return created;
  }

  /** The user's passkeys, oldest first. */
  async list(userId: number): Promise<PasskeyRecord[]> {
    return this.store.listPasskeys(userId);
  }

  /** Deletes one of the user's passkeys; 404 `PASSKEY_NOT_FOUND` for another user's or an unknown id. */
  async remove(userId: number, id: number): Promise<void> {
    if (!(await this.store.deletePasskey(userId, id))) throw new AuthError('PASSKEY_NOT_FOUND');
  }

  /**
   * Options for `navigator.credentials.get()` without an email: an empty `allowCredentials` lets
   * the authenticator offer its discoverable credentials. The caller binds `challenge` to the
   * browser (a short-lived cookie) and gives it back to {@link authenticate}.
   */
  async authenticationOptions(): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challenge: string }> {
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: this.rp.id,
      allowCredentials: [],
      challenge: randomBytes(CHALLENGE_BYTES),
      timeout: CHALLENGE_LIFETIME_SECONDS * 1000,
      userVerification: 'required',
    });
    await this.saveChallenge(options.challenge, 'login', null);
    return { options, challenge: options.challenge };
  }

  /**
   * Verifies an assertion against the challenge bound to this browser and returns its active
   * user; 400 `PASSKEY_INVALID` for anything else (a replay finds its challenge spent).
   */
  async authenticate(response: AuthenticationResponseJSON, challenge: string | undefined): Promise<User> {
    const now = this.auth.options.now();
    const spent = challenge ? await this.store.consumeChallenge(digestToken(challenge), 'login', now) : null;
    if (!spent || !challenge) throw new AuthError('PASSKEY_INVALID');
    const passkey = await this.store.findPasskeyByCredentialId(response.id);
    if (!passkey) throw new AuthError('PASSKEY_INVALID');
    // A discoverable credential names its user: it must be the credential's owner.
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')) throw new AuthError('PASSKEY_INVALID');
    let verified;
    try {
      verified = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        credential: {
          id: passkey.credentialId,
          publicKey: Buffer.from(passkey.publicKey, 'base64url'),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch {
      // Includes a counter that did not grow: a sign of a cloned authenticator (WebAuthn §6.1.1).
      throw new AuthError('PASSKEY_INVALID');
    }
    if (!verified.verified) throw new AuthError('PASSKEY_INVALID');
    if (!(await this.store.usePasskey(passkey.id, passkey.counter, verified.authenticationInfo.newCounter, now))) throw new AuthError('PASSKEY_INVALID');
    const user = await this.auth.store.findUserById(passkey.userId);
    if (!user || !user.isActive) throw new AuthError('PASSKEY_INVALID');
    return user;
  }

  /** Purges expired challenges; run periodically. */
  async purgeExpiredChallenges(): Promise<number> {
    return this.store.deleteExpiredChallenges(this.auth.options.now());
  }

  private async saveChallenge(challenge: string, purpose: 'register' | 'login', userId: number | null): Promise<void> {
    const expiresAt = new Date(this.auth.options.now().getTime() + CHALLENGE_LIFETIME_SECONDS * 1000);
    await this.store.createChallenge(
      { digest: digestToken(challenge), purpose, userId, expiresAt },
      userId === null ? undefined : MAX_REGISTRATION_CHALLENGES_PER_USER,
    );
  }
}

/** The WebAuthn user handle of a user: the decimal id (an opaque id, no personal data, WebAuthn §14.6.1). */
function userHandleOf(userId: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(String(userId)));
}
