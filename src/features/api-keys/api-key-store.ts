import type { User } from '../../core/user.js';

/** An API key as stored, without its secret (docs/api-keys.md). */
export interface ApiKeyRecord {
  id: number;
  /** The user the key acts as: its creator, who must keep their account (and membership) for it to live. */
  userId: number;
  /** The organization the key acts for; `null` for a personal key. */
  orgId: number | null;
  name: string;
  /** The public start of the key (`fu_1a2b3c4d`), shown in lists so a key can be recognised. */
  prefix: string;
  scopes: string[];
  /** Absolute expiry; `null` never expires (not made by our routes, which always set one). */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  revoked: boolean;
}

/** A key to save: the record's fields and the SHA-256 digest of the whole key. */
export interface NewApiKey {
  userId: number;
  orgId: number | null;
  name: string;
  prefix: string;
  digest: string;
  scopes: readonly string[];
  expiresAt: Date | null;
  createdAt: Date;
}

/** Whose keys a list or a revocation is about: a user's personal keys, or an organization's. */
export type ApiKeyOwner = { userId: number; orgId?: undefined } | { orgId: number; userId?: undefined };

/** Persistence of API keys; deleting a user deletes its keys (cascade). */
export interface ApiKeyStore {
  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  /** The live key with this digest and its user: not revoked, unexpired at `now`; `null` otherwise. */
  findApiKeySession(digest: string, now: Date): Promise<{ key: ApiKeyRecord; user: User } | null>;
  /** An owner's keys that are not revoked, oldest first (expired ones included, so they can be seen and removed). */
  listApiKeys(owner: ApiKeyOwner): Promise<ApiKeyRecord[]>;
  /** How many unrevoked keys an owner has (expired ones included). */
  countApiKeys(owner: ApiKeyOwner): Promise<number>;
  /** The digest of an owner's unrevoked key with this id, or `null`: what a revocation names. */
  findApiKeyDigest(owner: ApiKeyOwner, id: number): Promise<string | null>;
  /** Records a use (bookkeeping, coalesced by the caller). */
  touchApiKey(digest: string, now: Date): Promise<void>;
  /** Revokes the key with this digest; false when it was unknown or already revoked. */
  revokeApiKey(digest: string): Promise<boolean>;
  /** Deletes keys revoked, or expired before `now`; returns how many went. */
  deleteDeadApiKeys(now: Date): Promise<number>;
}
