import { randomBytes } from 'node:crypto';
import { digestToken, generateToken } from '../../core/token.js';

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

/**
 * What is stored for a client's secret: its SHA-256, hex (the secret itself is shown once, at
 * registration). The engine compares a presented secret by this digest (engine.ts).
 */
export function clientSecretDigest(secret: string): string {
  return digestToken(secret);
}

/** A new client's registration, as both client stores keep it: ids and the secret are ours. */
export interface ClientRegistration {
  clientId: string;
  firstParty: boolean;
  /** A confidential client's secret, to show once; `undefined` for a public client. */
  secret: string | undefined;
  /** The engine's metadata: RFC 7591 fields, `client_id`, `client_id_issued_at`, and the secret's digest. */
  metadata: Record<string, unknown>;
}

/**
 * 128 random bits in base64url (22 characters), never starting with `-`: such an id would be read
 * as an option by our CLI (`clients delete <id>`) and by most other command-line tools. One draw in
 * 64 starts with it and is drawn again, so every id left is as likely as any other.
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id[0] !== '-') return id;
  }
}

/**
 * Makes a client's id and secret and the metadata to store (docs/oauth-server.md). The id is
 * public: 128 bits keep ids unguessable, so they reveal nothing by enumeration. The secret is 256
 * bits from the CSPRNG (core/token.ts), kept only as the digest the engine compares a presented
 * secret's digest with ({@link clientSecretDigest}). Ids and secrets given in `input` are ignored.
 */
export function registerClient(input: NewOAuthClient, at: Date): ClientRegistration {
  const { first_party: firstParty = false, client_id: _id, client_secret: _secret, client_secret_expires_at: _expires, ...fields } = input;
  const clientId = newClientId();
  const secret = fields.token_endpoint_auth_method === 'none' ? undefined : generateToken();
  const metadata: Record<string, unknown> = { ...fields, client_id: clientId, client_id_issued_at: Math.floor(at.getTime() / 1000) };
  if (secret !== undefined) Object.assign(metadata, { client_secret: clientSecretDigest(secret), client_secret_expires_at: 0 });
  return { clientId, firstParty: firstParty === true, secret, metadata };
}

/** What `create` answers: the record, plus a confidential client's secret this once. */
export function createdClient(record: OAuthClientRecord, secret: string | undefined): CreatedOAuthClient {
  return secret === undefined ? record : { ...record, client_secret: secret, client_secret_expires_at: 0 };
}

/** The clients kept in the engine's in-memory storage (the default adapter: one process). */
// biome-ignore lint/suspicious/noExplicitAny: oidc-provider adapter payloads are open records
export function memoryClients(storage: { Adapter: new (model: string) => any; list(model: string): Record<string, unknown>[] }, now: () => Date): OAuthClients {
  const adapter = new storage.Adapter('Client');
  return {
    async create(input) {
      const at = now();
      const { clientId, firstParty, secret, metadata } = registerClient(input, at);
      const stored = { ...metadata, first_party: firstParty, created_at: at.toISOString() };
      await adapter.upsert(clientId, stored);
      return createdClient(recordOf(stored), secret);
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
