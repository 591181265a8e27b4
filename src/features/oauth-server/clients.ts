import { randomBytes } from 'node:crypto';
import { generateToken } from '../../core/token.js';
import { clientSecretDigest } from './engine.js';

/** A client's registration (RFC 7591 §2 metadata) plus `first_party`; `client_id` and the secret are ours to make. */
export interface NewOAuthClient {
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  /** `none` makes a public client (no secret); the RFC 7591 default is `client_secret_basic`. */
  token_endpoint_auth_method?: string;
  scope?: string;
  /** A first-party client's users are not asked to consent (docs/oauth-server.md). */
  first_party?: boolean;
  [metadata: string]: unknown;
}

/** A registered client as listed: its metadata, never its secret nor the secret's digest. */
export interface OAuthClientRecord {
  client_id: string;
  /** RFC 7591 §3.2.1, seconds since the epoch. */
  client_id_issued_at: number;
  first_party: boolean;
  /** ISO 8601. */
  created_at: string;
  [metadata: string]: unknown;
}

/** The answer to `create`: the record, and a confidential client's secret — shown this once. */
export interface CreatedOAuthClient extends OAuthClientRecord {
  client_secret?: string;
  client_secret_expires_at?: number;
}

/** Where the provider's clients are registered: the admin API and the CLI use this. */
export interface OAuthClients {
  create(input: NewOAuthClient): Promise<CreatedOAuthClient>;
  list(): Promise<OAuthClientRecord[]>;
  /** Deletes the client and what was issued to it; false when there was no such client. */
  delete(clientId: string): Promise<boolean>;
}

/** The clients kept in the engine's in-memory storage (the default adapter: one process). */
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider adapter payloads are open records
export function memoryClients(storage: { Adapter: new (model: string) => any; list(model: string): Record<string, unknown>[] }, now: () => Date): OAuthClients {
  const adapter = new storage.Adapter('Client');
  return {
    async create(input) {
      const { first_party: firstParty = false, client_id: _id, client_secret: _secret, client_secret_expires_at: _expires, ...metadata } = input;
      const at = now();
      const clientId = randomBytes(16).toString('base64url');
      const secret = metadata.token_endpoint_auth_method === 'none' ? undefined : generateToken();
      const issuedAt = Math.floor(at.getTime() / 1000);
      const stored: Record<string, unknown> = {
        ...metadata,
        client_id: clientId,
        client_id_issued_at: issuedAt,
        first_party: firstParty === true,
        created_at: at.toISOString(),
      };
      if (secret !== undefined) Object.assign(stored, { client_secret: clientSecretDigest(secret), client_secret_expires_at: 0 });
      await adapter.upsert(clientId, stored);
      const record = recordOf(stored);
      return secret === undefined ? record : { ...record, client_secret: secret, client_secret_expires_at: 0 };
    },
    async list() {
      return storage
        .list('Client')
        .map(recordOf)
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
    },
    async delete(clientId) {
      if ((await adapter.find(clientId)) === undefined) return false;
      await adapter.destroy(clientId);
      return true;
    },
  };
}

function recordOf(stored: Record<string, unknown>): OAuthClientRecord {
  const { client_secret: _digest, client_secret_expires_at: _expires, ...metadata } = stored;
  return {
    ...metadata,
    client_id: String(stored.client_id),
    client_id_issued_at: Number(stored.client_id_issued_at),
    first_party: stored.first_party === true,
    created_at: String(stored.created_at),
  };
}
