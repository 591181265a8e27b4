import type { Session } from './auth-service.js';
import type { User } from './user.js';

// What a request authenticated with, beyond the first-party session the guard checks itself:
// access tokens of our own OAuth provider and API keys (docs/resource-server.md). Each kind of
// credential is one small resolver; the guard asks them in order, and only for a credential the
// first-party lookup does not recognise, so a first-party request never pays for them.

/** A first-party session (sign-in through our routes, bearer token or cookie): full authority over the account. */
export type FirstPartySession = Session;

/** An access token our OAuth provider issued to a client, acting for `user` within `scopes`. */
export interface ProviderSession {
  readonly kind: 'provider';
  readonly user: User;
  /** The OAuth client the token was issued to. */
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** An API key, acting as `user` (or for `orgId`) within `scopes`. */
export interface ApiKeySession {
  readonly kind: 'api_key';
  readonly user: User;
  readonly keyId: string;
  readonly scopes: readonly string[];
  readonly orgId?: string;
}

/** What `request.authSession` holds once a guard admitted the request; `kind` tells the credentials apart. */
export type AuthSession = FirstPartySession | ProviderSession | ApiKeySession;

/** A credential a resolver can admit: anything but a first-party session. */
export type DelegatedSession = ProviderSession | ApiKeySession;

/** What the request presented, for the resolvers: the `Authorization: Bearer` value and the `X-API-Key` header. */
export interface PresentedCredential {
  readonly bearer: string | undefined;
  readonly apiKey: string | undefined;
}

/**
 * A resolver's answer: `undefined` declines (not its format: the next resolver is asked), `null`
 * refuses (401: its format, but invalid, expired, revoked or its user inactive), a session
 * admits. Throwing an `AuthError` answers with that error (e.g. 503 when its store is away).
 */
export type CredentialAnswer = DelegatedSession | null | undefined;

/**
 * One kind of credential the guard admits besides first-party sessions. `resolve` must decline
 * cheaply what is not its format (a prefix or shape test), and check everything that can change
 * on every call — the user still active, the grant or key not revoked — since a token or key is
 * refused on every instance as soon as it is revoked (docs/resource-server.md).
 */
export interface CredentialResolver {
  /** Names the resolver in logs and errors. */
  readonly name: string;
  resolve(presented: PresentedCredential): CredentialAnswer | Promise<CredentialAnswer>;
}

/** The ordered list of resolvers, shared by every guard of one plugin instance. */
export class CredentialResolvers {
  private readonly list: CredentialResolver[] = [];

  constructor(initial: readonly CredentialResolver[] = []) {
    for (const resolver of initial) this.register(resolver);
  }

  /** Adds a resolver after those registered before it. */
  register(resolver: CredentialResolver): void {
    if (!resolver || typeof resolver.resolve !== 'function' || typeof resolver.name !== 'string') {
      throw new TypeError('a credential resolver needs a name and a resolve(presented) function');
    }
    this.list.push(resolver);
  }

  get size(): number {
    return this.list.length;
  }

  /**
   * The first answer that is not a decline; `undefined` when every resolver declined. Given
   * synchronously when every resolver asked answers so (a credential its resolver holds in
   * memory), so that the guard admits it without a promise on the request's path; a promise otherwise.
   */
  resolve(presented: PresentedCredential): CredentialAnswer | Promise<CredentialAnswer> {
    return this.resolveFrom(0, presented);
  }

  private resolveFrom(first: number, presented: PresentedCredential): CredentialAnswer | Promise<CredentialAnswer> {
    for (let at = first; at < this.list.length; at++) {
      const answer = this.list[at]!.resolve(presented);
      if (answer instanceof Promise) return answer.then((settled) => (settled !== undefined ? settled : this.resolveFrom(at + 1, presented)));
      if (answer !== undefined) return answer;
    }
    return undefined;
  }
}

/**
 * Whether `session` may use a route needing `scopes`. A first-party session acts as the user
 * themself and holds every scope; a delegated credential only the scopes it was granted.
 */
export function missingScopes(session: AuthSession, scopes: readonly string[]): string[] {
  if (session.kind === 'session') return [];
  return scopes.filter((scope) => !session.scopes.includes(scope));
}
