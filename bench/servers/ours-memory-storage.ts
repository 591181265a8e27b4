// Row 12's middle contender: our whole server (buildServer, the same settings as `serve`) with the
// provider's state in the engine's in-memory adapter instead of our SQL storage (the seam a custom
// store uses, docs/oauth-server.md). Beside ours on SQLite and the engine alone, it splits the gap
// in two: what Fastify and our integration cost, and what durable SQL storage costs. It stores one
// confidential client and mints OM_GRANTS refresh tokens through the engine's models, as
// bench/servers/oidc-alone.ts does, and writes them as JSON to OM_TOKENS_FILE before it listens.
import { writeFileSync } from 'node:fs';
import { clientSecretDigest, memoryClients } from '../../src/features/oauth-server/clients.js';
import type { OAuthServer } from '../../src/features/oauth-server/index.js';
import { memoryAdapter } from '../../src/features/oauth-server/memory-adapter.js';
import { buildServer, readConfig } from '../../src/server.js';

const clientId = process.env.OM_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.OM_CLIENT_SECRET ?? 'bench-client-secret-0123456789abcdef0123456789';
const grants = Number(process.env.OM_GRANTS ?? 10);
const SCOPE = 'openid offline_access';
// The seeded user the other contenders' tokens belong to (bench/lib/seed.ts).
const accountId = '2';

const adapter = memoryAdapter();
const config = readConfig();
if (!config.auth.oauthServer) throw new Error('set OAUTH_SERVER=on and PUBLIC_URL');
config.auth.oauthServer = { ...config.auth.oauthServer, adapter: adapter.Adapter, clients: memoryClients(adapter, () => new Date()) };
const app = await buildServer(config);
const engine = (app.fastifyUsers as unknown as { oauthServer: OAuthServer }).oauthServer.engine;
await new adapter.Adapter('Client').upsert(clientId, {
  client_id: clientId,
  client_secret: clientSecretDigest(clientSecret),
  client_name: 'Bench',
  redirect_uris: ['http://127.0.0.1:9/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  first_party: true,
});
const client = await engine.Client.find(clientId);
if (!client) throw new Error('the bench client was not stored');
const tokens: string[] = [];
for (let i = 0; i < grants; i++) {
  const grant = new engine.Grant({ accountId, clientId });
  grant.addOIDCScope(SCOPE);
  const grantId = await grant.save();
  const refresh = new engine.RefreshToken({
    accountId,
    client,
    grantId,
    scope: SCOPE,
    gty: 'authorization_code',
    authTime: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
  });
  tokens.push(await refresh.save());
}
writeFileSync(process.env.OM_TOKENS_FILE!, JSON.stringify(tokens));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
