import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { digestToken, generateToken } from '../../core/token.js';
import type { Database, Dialect } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import { deleteClient, type OAuthServerClientsTable, type OAuthServerDb, oauthServerDb } from './sql-adapter.js';

/**
 * A client's registration as given to `create` (RFC 7591 §2 metadata, already validated by the
 * caller) plus `first_party`. `client_id` and `client_secret` are never taken from it.
 */
export interface NewOAuthClient {
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  /** `none` makes a public client (no secret); the RFC 7591 default is `client_secret_basic`. */
  token_endpoint_auth_method?: string;
  scope?: string;
  /** A first-party client skips the consent screen (docs/oauth-server.md). */
  first_party?: boolean;
  [metadata: string]: unknown;
}

/** A registered client as listed: its metadata, never its secret or the secret's digest. */
export interface OAuthClientRecord {
  client_id: string;
  /** RFC 7591 §3.2.1, seconds since the epoch. */
  client_id_issued_at: number;
  first_party: boolean;
  /** ISO 8601. */
  created_at: string;
  [metadata: string]: unknown;
}

/** The answer to `create`: the record, and the secret of a confidential client — shown this once. */
export interface CreatedOAuthClient extends OAuthClientRecord {
  client_secret?: string;
  /** RFC 7591 §3.2.1: 0, the secret does not expire. */
  client_secret_expires_at?: number;
}

/**
 * The registered clients of the provider (`oauth_server_clients`, migration 0012), for the admin
 * API and the CLI. The secret is 256 bits from the CSPRNG (core/token.ts), returned once and stored
 * as its SHA-256 hex digest (a plain hash suffices for that entropy; OWASP Secrets Management CS),
 * in the metadata's `client_secret`, which is what the engine compares a presented secret's digest
 * with. Deleting a client deletes everything issued to it.
 */
export class OAuthClientStore {
  private readonly db: OAuthServerDb;
  private readonly now: () => Date;

  constructor(
    db: Kysely<Database>,
    private readonly dialect: Dialect,
    options: { now?: () => Date } = {},
  ) {
    this.db = oauthServerDb(db);
    this.now = options.now ?? (() => new Date());
  }

  async create(input: NewOAuthClient): Promise<CreatedOAuthClient> {
    const { first_party: firstParty = false, client_id: _id, client_secret: _secret, client_secret_expires_at: _expires, ...metadata } = input;
    const at = this.now();
    // Public, not a secret: 128 bits keep ids unguessable enough that they reveal nothing by enumeration.
    const clientId = randomBytes(16).toString('base64url');
    const issuedAt = Math.floor(at.getTime() / 1000);
    const secret = metadata.token_endpoint_auth_method === 'none' ? undefined : generateToken();
    const stored: Record<string, unknown> = { ...metadata, client_id: clientId, client_id_issued_at: issuedAt };
    if (secret !== undefined) Object.assign(stored, { client_secret: digestToken(secret), client_secret_expires_at: 0 });
    await this.db
      .insertInto('oauth_server_clients')
      .values({
        client_id: clientId,
        metadata: JSON.stringify(stored),
        first_party: this.dialect === 'postgres' ? firstParty === true : firstParty === true ? 1 : 0,
        created_at: toDbTime(this.dialect, at),
      })
      .execute();
    const record = recordOf({ client_id: clientId, metadata: JSON.stringify(stored), first_party: firstParty === true, created_at: at });
    return secret === undefined ? record : { ...record, client_secret: secret, client_secret_expires_at: 0 };
  }

  /** Every client, oldest first. */
  async list(): Promise<OAuthClientRecord[]> {
    const rows = await this.db.selectFrom('oauth_server_clients').selectAll().orderBy('created_at').orderBy('client_id').execute();
    return rows.map(recordOf);
  }

  async find(clientId: string): Promise<OAuthClientRecord | null> {
    const row = await this.db.selectFrom('oauth_server_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row ? recordOf(row) : null;
  }

  /** Deletes the client and its codes, tokens, grants and interactions; false when there was no such client. */
  async delete(clientId: string): Promise<boolean> {
    return deleteClient(this.db, clientId);
  }
}

function recordOf(row: Selectable<OAuthServerClientsTable>): OAuthClientRecord {
  const { client_secret: _digest, client_secret_expires_at: _expires, ...metadata } = JSON.parse(row.metadata) as Record<string, unknown>;
  return {
    ...metadata,
    client_id: row.client_id,
    client_id_issued_at: Number(metadata.client_id_issued_at ?? Math.floor(fromDbTime(row.created_at).getTime() / 1000)),
    first_party: row.first_party === true || row.first_party === 1,
    created_at: fromDbTime(row.created_at).toISOString(),
  };
}
