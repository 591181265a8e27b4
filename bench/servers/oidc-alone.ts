// Row 12's yardstick: the same oidc-provider engine, configured by our own createEngine (PKCE S256,
// refresh rotation, resource indicators, RS256), standing alone on node:http with the in-memory
// adapter — no Fastify, no SQL, no sign-in of ours. It stores one confidential client and mints
// OA_GRANTS refresh tokens (scope `openid offline_access`, one grant each) through the engine's own
// models, as a code exchange would leave them; the bench reads them at GET /bench/refresh-tokens.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { JWK } from 'jose';
import { createEngine } from '../../src/features/oauth-server/engine.js';
import { memoryAdapter } from '../../src/features/oauth-server/memory-adapter.js';
import { mintRefreshTokens } from '../lib/engine-refresh-tokens.js';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OA_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.OA_CLIENT_SECRET ?? 'bench-client-secret-0123456789abcdef0123456789';
const grants = Number(process.env.OA_GRANTS ?? 10);

const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
const adapter = memoryAdapter();
const user = { id: 2, email: 'user0@bench.test', isActive: true, isVerified: true };
const provider = createEngine({
  settings: {
    issuer,
    dynamicRegistration: false,
    resources: [issuer],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    accessTokenLifetime: 3600,
    refreshTokenLifetime: 2_592_000,
    adapter: undefined,
    clients: undefined,
  },
  secretKeys: ['bench-secret-key-that-is-long-enough-0123456789abcdef'],
  signingKeys: [signingKey as JWK],
  // biome-ignore lint/suspicious/noExplicitAny: the engine reads id, email, isActive and isVerified only
  findUser: async (id) => (id === user.id ? (user as any) : null),
  adapter: adapter.Adapter,
  basePath: '',
  accountPage: '/',
});

const tokens = await mintRefreshTokens(provider, adapter.Adapter, { clientId, clientSecret, accountId: String(user.id), grants });

const engine = provider.callback();
const server = createServer((req, res) => {
  if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  if (req.url === '/bench/refresh-tokens') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens));
  engine(req, res);
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
