import { randomBytes } from 'node:crypto';
import { LAST_USED_RESOLUTION_MS } from '../../core/auth-service.js';
import type { ApiKeySession } from '../../core/credentials.js';
import { AuthError } from '../../core/errors.js';
import { systemNow } from '../../core/options.js';
import type { SessionCache } from '../../core/session-cache.js';
import type { Store } from '../../core/store.js';
import { digestToken, generateToken } from '../../core/token.js';
import type { User } from '../../core/user.js';
import type { ApiKeyOwner, ApiKeyRecord } from './api-key-store.js';

/** Keys start with this, so that secret scanners and people recognise them (as GitHub's `ghp_`). */
export const API_KEY_PREFIX = 'fu_';

/**
 * `fu_`, 8 hex characters (the public prefix shown in lists), `_`, then 32 bytes from the OS
 * CSPRNG in base64url (as our access tokens: OWASP Session Management CS, 256 bits).
 */
const API_KEY_SHAPE = /^fu_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;
const API_KEY_LENGTH = 55;

/** When a key asks for no lifetime: 90 days. Every key expires; a forgotten one should not live forever. */
export const DEFAULT_API_KEY_LIFETIME_SECONDS = 90 * 86_400;
/** The longest lifetime a key may ask for: one year. */
export const MAX_API_KEY_LIFETIME_SECONDS = 366 * 86_400;
/** Live keys per owner (a user's personal keys, or an organization's), so one account cannot fill the table. */
export const MAX_API_KEYS_PER_OWNER = 100;

/** What an API key grants, kept beside its user in the session cache. */
interface ApiKeyGrant {
  readonly keyId: string;
  readonly scopes: readonly string[];
  readonly orgId: string | undefined;
}

/** A key just made: the only moment its secret exists in our process. */
export interface CreatedApiKey {
  record: ApiKeyRecord;
  key: string;
}

/** Whether a string has the shape of our API keys: checked before any hashing or lookup. */
export function looksLikeApiKey(value: string): boolean {
  return value.length === API_KEY_LENGTH && API_KEY_SHAPE.test(value);
}

/**
 * API keys (docs/api-keys.md): made, listed and revoked by their owner; resolved on each request
 * as cheaply as a session — through the same cache (docs/session-cache.md), so a revocation is
 * refused at once here and within a second on every other instance.
 */
export class ApiKeyService {
  private readonly store: Store;
  private readonly sessions: SessionCache | null;
  private readonly now: () => Date;
  private readonly nowMs: () => number;

  /** `store` must be the services' store (the one whose session-changing writes evict from `sessions`). */
  constructor(store: Store, sessions: SessionCache | null, now: () => Date = systemNow) {
    this.store = store;
    this.sessions = sessions;
    this.now = now;
    // The cache's hit path needs only milliseconds: with the real clock, no `Date` per request.
    this.nowMs = now === systemNow ? Date.now : () => now().getTime();
  }

  /**
   * Makes a key for `owner` acting as `user`. The scopes are kept as given (deduplicated, in
   * order); `expiresIn` defaults to {@link DEFAULT_API_KEY_LIFETIME_SECONDS}.
   */
  async create(user: User, input: { name: string; scopes?: readonly string[]; expiresIn?: number; orgId?: number }): Promise<CreatedApiKey> {
    const owner: ApiKeyOwner = input.orgId === undefined ? { userId: user.id } : { orgId: input.orgId };
    if ((await this.store.apiKeys.countApiKeys(owner)) >= MAX_API_KEYS_PER_OWNER) throw new AuthError('API_KEY_LIMIT_REACHED');
    const prefix = `${API_KEY_PREFIX}${randomBytes(4).toString('hex')}`;
    const key = `${prefix}_${generateToken()}`;
    const now = this.now();
    const record = await this.store.apiKeys.createApiKey({
      userId: user.id,
      orgId: input.orgId ?? null,
      name: input.name,
      prefix,
      digest: digestToken(key),
      scopes: [...new Set(input.scopes ?? [])],
      expiresAt: new Date(now.getTime() + (input.expiresIn ?? DEFAULT_API_KEY_LIFETIME_SECONDS) * 1000),
      createdAt: now,
    });
    return { record, key };
  }

  /** An owner's live keys (never the secret). */
  async list(owner: ApiKeyOwner): Promise<ApiKeyRecord[]> {
    return this.store.apiKeys.listApiKeys(owner);
  }

  /** Revokes one of an owner's keys; 404 `API_KEY_NOT_FOUND` when it is not theirs or not live. */
  async revoke(owner: ApiKeyOwner, id: number): Promise<void> {
    const digest = await this.store.apiKeys.findApiKeyDigest(owner, id);
    // The revocation names the digest, so the store's choke point evicts it here and tells the channel.
    if (digest === null || !(await this.store.apiKeys.revokeApiKey(digest))) throw new AuthError('API_KEY_NOT_FOUND');
  }

  /**
   * The principal of a presented key: `undefined` when the value is not one of our keys (another
   * kind of credential), `null` when it is but is unknown, revoked, expired or its user inactive.
   * A key the cache holds is answered synchronously, with no promise on the request's path.
   */
  resolve(value: string): ApiKeySession | null | undefined | Promise<ApiKeySession | null> {
    if (!looksLikeApiKey(value)) return undefined;
    const digest = digestToken(value);
    const nowMs = this.nowMs();
    const cached = this.sessions?.get(digest);
    if (cached !== undefined) {
      // Absolute expiry is checked on every request, cached or not.
      if (cached.expiresAt <= nowMs || cached.grant === undefined) return null;
      if (nowMs - cached.lastUsedAt > LAST_USED_RESOLUTION_MS) this.touch(digest, nowMs);
      return principalOf(cached.user, cached.grant as ApiKeyGrant);
    }
    return this.lookUp(digest, nowMs);
  }

  private async lookUp(digest: string, nowMs: number): Promise<ApiKeySession | null> {
    const ticket = this.sessions?.ticket();
    const found = await this.store.apiKeys.findApiKeySession(digest, new Date(nowMs));
    if (!found?.user.isActive) return null;
    let lastUsedAt = found.key.lastUsedAt?.getTime() ?? 0;
    // `last_used_at` is coalesced as a session's: written at most every five minutes.
    if (nowMs - lastUsedAt > LAST_USED_RESOLUTION_MS) {
      this.touch(digest, nowMs);
      lastUsedAt = nowMs;
    }
    const grant: ApiKeyGrant = {
      keyId: String(found.key.id),
      scopes: Object.freeze([...found.key.scopes]),
      orgId: found.key.orgId === null ? undefined : String(found.key.orgId),
    };
    // An organization's key is read afresh on every request: it ends with its maker's membership or
    // its organization, by a cascade that this instance's store choke point does not see (nor, so,
    // the Redis channel): correct before fast. Org routes read the membership anyway.
    if (ticket !== undefined && found.key.orgId === null) {
      const expiresAt = found.key.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      this.sessions!.set(ticket, digest, { user: found.user, expiresAt, lastUsedAt, grant });
    }
    return principalOf(found.user, grant);
  }

  /** Writes `last_used_at`; not awaited: bookkeeping must not slow or fail the request it describes. */
  private touch(digest: string, nowMs: number): void {
    this.sessions?.touched(digest, nowMs);
    this.store.apiKeys.touchApiKey(digest, new Date(nowMs)).catch(() => {});
  }
}

function principalOf(user: User, grant: ApiKeyGrant): ApiKeySession {
  return grant.orgId === undefined
    ? { kind: 'api_key', user, keyId: grant.keyId, scopes: grant.scopes }
    : { kind: 'api_key', user, keyId: grant.keyId, scopes: grant.scopes, orgId: grant.orgId };
}
