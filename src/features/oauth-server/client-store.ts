import type { Kysely, Selectable } from 'kysely';
import type { Database, Dialect } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import { type CreatedOAuthClient, createdClient, type NewOAuthClient, type OAuthClientRecord, registerClient } from './clients.js';
import { deleteClient, type GrantsEndedListener, type OAuthServerClientsTable, type OAuthServerDb, oauthServerDb } from './sql-adapter.js';

/**
 * The registered clients of the provider (`oauth_server_clients`, migration 0012), for the admin
 * API and the CLI; ids and secrets are made by `registerClient` (clients.ts): the secret is returned
 * once and stored only as its SHA-256 digest (a plain hash suffices for 256 random bits; OWASP
 * Secrets Management CS). Deleting a client deletes everything issued to it.
 */
export class OAuthClientStore {
  private readonly db: OAuthServerDb;
  private readonly now: () => Date;
  private readonly ended: GrantsEndedListener;

  /** `onGrantsEnded`: told the users whose grants a client deletion ended (see `SQLAdapterOptions`). */
  constructor(
    db: Kysely<Database>,
    private readonly dialect: Dialect,
    options: { now?: () => Date; onGrantsEnded?: GrantsEndedListener } = {},
  ) {
    this.db = oauthServerDb(db);
    this.now = options.now ?? (() => new Date());
    this.ended = options.onGrantsEnded ?? (() => {});
  }

  async create(input: NewOAuthClient): Promise<CreatedOAuthClient> {
    const at = this.now();
    const { clientId, firstParty, secret, metadata } = registerClient(input, at);
    const row = { client_id: clientId, metadata: JSON.stringify(metadata), created_at: toDbTime(this.dialect, at) };
    await this.db
      .insertInto('oauth_server_clients')
      .values({ ...row, first_party: this.dialect === 'postgres' ? firstParty : firstParty ? 1 : 0 })
      .execute();
    return createdClient(recordOf({ ...row, first_party: firstParty }), secret);
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
    return deleteClient(this.db, clientId, this.ended);
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
