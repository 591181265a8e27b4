// Row 12's middle contender: our whole server (buildServer, the same settings as `serve`) with the
// provider's state in the engine's in-memory adapter instead of our SQL storage (the seam a custom
// store uses, docs/oauth-server.md). Beside ours on SQLite and the engine alone, it splits the gap
// in two: what Fastify and our integration cost, and what durable SQL storage costs. It stores one
// confidential client and mints OM_GRANTS refresh tokens through the engine's models, as
// bench/servers/oidc-alone.ts does, and writes them as JSON to OM_TOKENS_FILE before it listens.
import { writeFileSync } from 'node:fs';
import { memoryClients } from '../../src/features/oauth-server/clients.js';
import type { OAuthServer } from '../../src/features/oauth-server/index.js';
import { memoryAdapter } from '../../src/features/oauth-server/memory-adapter.js';
import { buildServer, readConfig } from '../../src/server.js';
import { mintRefreshTokens } from '../lib/engine-refresh-tokens.js';

const clientId = process.env.OM_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.OM_CLIENT_SECRET ?? 'bench-client-secret-0123456789abcdef0123456789';
const grants = Number(process.env.OM_GRANTS ?? 10);
// The seeded user the other contenders' tokens belong to (bench/lib/seed.ts).
const accountId = '2';

const adapter = memoryAdapter();
const config = readConfig();
if (!config.auth.oauthServer) throw new Error('set OAUTH_SERVER=on and PUBLIC_URL');
config.auth.oauthServer = { ...config.auth.oauthServer, adapter: adapter.Adapter, clients: memoryClients(adapter, () => new Date()) };
const app = await buildServer(config);
const engine = (app.fastifyUsers as unknown as { oauthServer: OAuthServer }).oauthServer.engine;
const tokens = await mintRefreshTokens(engine, adapter.Adapter, { clientId, clientSecret, accountId, grants });
writeFileSync(process.env.OM_TOKENS_FILE!, JSON.stringify(tokens));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
