import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import type { CredentialAnswer, CredentialResolver, ProviderSession } from '../../core/credentials.js';
import type { SessionCache } from '../../core/session-cache.js';
import { digestToken } from '../../core/token.js';
import type { User } from '../../core/user.js';

/** What the resolver needs to know of our provider and of the account. */
export interface ProviderTokenSources {
  /** Our provider's issuer (`publicUrl`): the `iss` of every token. */
  issuer: string;
  /** This server's resource identifier: a token is accepted only if its `aud` names it (RFC 8707, RFC 9068 §4). */
  audience: string;
  /** The provider's public signing keys (the JWKS it publishes), read again when a token names an unknown `kid`. */
  publicKeys(): Promise<JWK[]>;
  /** The user a token's `sub` names, read on every request: a deactivation or deletion counts at once, on every instance. */
  findUser(id: number): Promise<User | null>;
  /**
   * Whether the user's grant to the client still stands (not revoked from "Connected apps", not
   * ended by a password change): `false`, `true`, or the time it lapses (epoch ms).
   */
  grantActive(userId: number, clientId: string): Promise<boolean | number>;
  /**
   * The session cache, to keep the answer for a token (its user, its grant standing) as a
   * session's is: evicted when the user changes and when the grant ends — which the caller must
   * report as a change of the user, here and to other instances — and trusted only while its
   * change channel vouches for it (docs/session-cache.md). Without it, both are read on every request.
   */
  sessions?: SessionCache;
  now(): Date;
}

/** What the session cache keeps for a JWT access token beside its user, under the token's digest. */
interface ProviderGrant {
  readonly kind: 'provider';
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** Verified claims, kept until the token expires: a signature verifies once per token and instance. */
interface VerifiedToken {
  userId: number;
  clientId: string;
  scopes: readonly string[];
  /** `exp`, epoch ms. */
  expiresAt: number;
}

/** Tokens whose signature was checked, per instance. Bounded: an attacker's valid-looking tokens cannot grow it. */
const VERIFIED_CACHE_SIZE = 10_000;
/** An unknown `kid` reloads the keys at most this often (a key added by `keys rotate` on another instance). */
const KEY_RELOAD_MS = 30_000;
/** The largest token we try: ours are about 1 KB (RFC 9068 claims, RS256). */
const MAX_TOKEN_LENGTH = 8192;
/** RFC 7515 compact serialization: three base64url parts; a protected header is JSON, so starts `eyJ`. */
const COMPACT_JWS = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The credential resolver for our provider's JWT access tokens (RFC 9068) presented as
 * `Authorization: Bearer` (docs/resource-server.md). Declines anything that is not a compact JWS;
 * refuses (401) a token whose signature, `typ`, `iss`, `aud` or `exp` is wrong, whose user is
 * not active or whose grant was revoked; admits the rest as `{kind: 'provider', clientId, scopes}`.
 */
export function providerTokenResolver(sources: ProviderTokenSources): CredentialResolver {
  let keySet = createLocalJWKSet({ keys: [] });
  let knownKids = new Set<string | undefined>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | undefined;
  const verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_CACHE_SIZE });

  async function loadKeys(): Promise<void> {
    loading ??= sources
      .publicKeys()
      .then((keys) => {
        // Public parts only, whatever the source hands over: a private member never reaches the verifier.
        const publicKeys = keys.map((key) => publicPart(key));
        keySet = createLocalJWKSet({ keys: publicKeys } as JSONWebKeySet);
        knownKids = new Set(publicKeys.map((key) => key.kid));
        loadedAt = sources.now().getTime();
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  async function verify(token: string): Promise<VerifiedToken | null> {
    const kid = kidOf(token);
    if (!knownKids.has(kid) && sources.now().getTime() - loadedAt > KEY_RELOAD_MS) await loadKeys();
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: sources.issuer,
        audience: sources.audience,
        // RFC 9068 §2.1 and §4: `typ` at+jwt, so an ID token (same keys, same issuer) is never taken for an access token.
        typ: 'at+jwt',
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'sub', 'client_id'],
        currentDate: sources.now(),
      });
      const sub = payload.sub!;
      if (!/^\d{1,15}$/.test(sub) || typeof payload.client_id !== 'string') return null;
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      return { userId: Number(sub), clientId: payload.client_id, scopes, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }

  /** Reads what can change after the token was issued (docs/resource-server.md), and keeps the answer in the cache. */
  async function lookUp(bearer: string, digest: string): Promise<CredentialAnswer> {
    let token = verified.get(digest);
    if (token === undefined) {
      const checked = await verify(bearer);
      if (checked === null) return null;
      token = checked;
      verified.set(digest, token, { ttl: Math.max(1, token.expiresAt - sources.now().getTime()) });
    }
    const nowMs = sources.now().getTime();
    if (token.expiresAt <= nowMs) return null;
    // Taken before the reads: an eviction while they run keeps their answer out of the cache.
    const ticket = sources.sessions?.ticket();
    const [user, granted] = await Promise.all([sources.findUser(token.userId), sources.grantActive(token.userId, token.clientId)]);
    if (!user || !user.isActive || granted === false) return null;
    const lapse = granted === true ? Number.POSITIVE_INFINITY : granted;
    if (lapse <= nowMs) return null;
    const grant: ProviderGrant = { kind: 'provider', clientId: token.clientId, scopes: Object.freeze([...token.scopes]) };
    // Kept no longer than the token and its grant live; the user's own changes evict it.
    if (ticket !== undefined) sources.sessions!.set(ticket, digest, { user, expiresAt: Math.min(token.expiresAt, lapse), lastUsedAt: nowMs, grant });
    return { kind: 'provider', user, clientId: grant.clientId, scopes: grant.scopes };
  }

  return {
    name: 'oauth-provider-access-token',
    resolve({ bearer }): CredentialAnswer | Promise<CredentialAnswer> {
      if (bearer === undefined || bearer.length > MAX_TOKEN_LENGTH || !bearer.startsWith('eyJ')) return undefined;
      const digest = digestToken(bearer);
      // A token the cache holds passed the full shape test when it was first verified: only a
      // token met for the first time pays for it (a regular expression over ~1 KB).
      const cached = sources.sessions?.get(digest);
      if (cached === undefined && !COMPACT_JWS.test(bearer)) return undefined;
      if (cached !== undefined) {
        // A token the cache answers for was verified and its user and grant read: only its expiry is checked again.
        const grant = cached.grant as ProviderGrant | undefined;
        if (grant?.kind !== 'provider' || cached.expiresAt <= sources.now().getTime()) return null;
        return { kind: 'provider', user: cached.user, clientId: grant.clientId, scopes: grant.scopes } satisfies ProviderSession;
      }
      return lookUp(bearer, digest);
    },
  };
}

/** RFC 7518 §6's public members of a JWK: a private one (`d`, `p`, `q`, …) never reaches the verifier. */
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'] as const;

function publicPart(key: JWK): JWK {
  return Object.fromEntries(PUBLIC_MEMBERS.filter((name) => key[name] !== undefined).map((name) => [name, key[name]])) as JWK;
}

/** The `kid` of a compact JWS's protected header, without trusting it for anything but picking a key. */
function kidOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}
