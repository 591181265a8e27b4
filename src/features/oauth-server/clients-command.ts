import { CommandError, parseCommandArgs, UsageError } from '../../cli/args.js';
import type { CLIStreams } from '../../cli/streams.js';
import { openRedisSessionChannel, type ServerConfig } from '../../server.js';
import { SQLStore } from '../../store/sql/sql-store.js';
import { OAuthClientStore } from './client-store.js';
import type { NewOAuthClient } from './clients.js';

const USAGE =
  'clients takes `create --name <name> [--redirect-uri <uri>]… [--grant <type>]… [--public] [--native] [--first-party] [--scope "<scopes>"]`, `list` or `delete <client_id>`';
const GRANTS = new Set(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']);

/**
 * `clients create|list|delete`: our OAuth provider's clients in the configured database, as the
 * admin API registers them (docs/oauth-server.md). `create` prints the client, and a confidential
 * client's secret — once: only its digest is kept.
 */
export async function clientsCommand(config: ServerConfig, argv: string[], io: CLIStreams): Promise<void> {
  const args = parseCommandArgs(argv, {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    grant: { type: 'string', multiple: true },
    scope: { type: 'string' },
    public: { type: 'boolean' },
    native: { type: 'boolean' },
    'first-party': { type: 'boolean' },
  });
  const [action, ...rest] = args.positionals;
  if (action === 'create' && rest.length === 0) {
    const input = clientOf(args.values);
    await withClients(config, async (clients) => {
      io.stdout.write(`${JSON.stringify(await clients.create(input), null, 2)}\n`);
    });
    return;
  }
  if (action === 'list' && rest.length === 0) {
    await withClients(config, async (clients) => {
      for (const client of await clients.list()) {
        const kind = `${client.token_endpoint_auth_method === 'none' ? 'public' : 'confidential'}${client.first_party ? ', first-party' : ''}`;
        io.stdout.write(
          `${client.client_id}  ${String(client.client_name ?? '')}  (${kind})  ${(client.redirect_uris as string[] | undefined)?.join(' ') ?? ''}\n`,
        );
      }
    });
    return;
  }
  if (action === 'delete' && rest.length === 1) {
    await withClients(config, async (clients) => {
      if (!(await clients.delete(rest[0]!))) throw new CommandError(`no OAuth client ${rest[0]}`);
      io.stdout.write(`deleted OAuth client ${rest[0]} and everything issued to it\n`);
    });
    return;
  }
  throw new UsageError(USAGE);
}

/**
 * The clients of the configured database. With `REDIS_URL` on PostgreSQL, running servers hear of
 * changes on Redis rather than from the database: the users whose grants a deletion ended are
 * published there, so their JWT access tokens stop on every server at once (docs/session-cache.md).
 */
async function withClients(config: ServerConfig, use: (clients: OAuthClientStore) => Promise<void>): Promise<void> {
  const store = await SQLStore.open(config.databaseUrl);
  const channel = config.redisUrl && store.dialect === 'postgres' ? await openRedisSessionChannel(undefined, config) : undefined;
  try {
    await use(new OAuthClientStore(store.db, store.dialect, { onGrantsEnded: (userIds) => userIds.length > 0 && channel?.publish?.({ userIds }) }));
  } finally {
    await channel?.close();
    await store.close();
  }
}

/** The registration from the options, refused (exit 2) where the provider would refuse it. */
function clientOf(values: {
  name?: string;
  'redirect-uri'?: string[];
  grant?: string[];
  scope?: string;
  public?: boolean;
  native?: boolean;
  'first-party'?: boolean;
}): NewOAuthClient {
  const name = values.name?.trim();
  if (!name) throw new UsageError('clients create needs --name');
  const grants = values.grant ?? ['authorization_code', 'refresh_token'];
  for (const grant of grants) if (!GRANTS.has(grant)) throw new UsageError(`--grant ${grant} is not one of ${[...GRANTS].join(', ')}`);
  // OAuth 2.1 §4.2: client credentials are for confidential clients only.
  if (values.public && grants.includes('client_credentials')) throw new UsageError('a --public client cannot use client_credentials');
  const redirectUris = values['redirect-uri'] ?? [];
  for (const uri of redirectUris) {
    // RFC 6749 §3.1.2: absolute, without a fragment.
    if (!URL.canParse(uri) || uri.includes('#')) throw new UsageError(`--redirect-uri ${uri} is not an absolute URI without a fragment`);
  }
  if (grants.includes('authorization_code') && redirectUris.length === 0) throw new UsageError('an authorization_code client needs --redirect-uri');
  return {
    client_name: name,
    redirect_uris: redirectUris,
    grant_types: grants,
    response_types: grants.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: values.public ? 'none' : 'client_secret_basic',
    ...(values.scope ? { scope: values.scope } : {}),
    first_party: values['first-party'] === true,
    // RFC 8252 §7.3: a native app's loopback redirect URIs match on any port.
    ...(values.native ? { application_type: 'native' } : {}),
  };
}
