import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, bearerRequests, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import { codeFlowTokens, driveRefresh, registerClient } from '../lib/oauth.js';
import { cpuMs, freePort, startServer, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { BENCH_PASSWORD, benchToken } from '../lib/seed.js';
import { median } from '../lib/stats.js';

/** The seeded user the flows sign in as: user id 2, who also owns the base seed's token 0 (bench/lib/seed.ts). */
const LOGIN = { email: 'user0@bench.test', password: BENCH_PASSWORD };

interface OAuthServer {
  server: ServerProcess;
  client: { clientId: string; clientSecret: string };
}

/**
 * Our server (`src/cli.ts serve`) on its own copy of the base seed with the provider on
 * (docs/oauth-server.md): PUBLIC_URL must be the issuer exactly, so the bench picks the port
 * before the start; one first-party confidential client is registered in the file first.
 */
function oauthServer(ctx: BenchContext): Promise<OAuthServer> {
  let client: OAuthServer['client'] | undefined;
  return ctx
    .server('oauth', async () => {
      const path = await ctx.seededSqlite('oauth');
      client = await registerClient(`sqlite:${path}`);
      const port = await freePort();
      return startServer({
        name: 'ours-oauth',
        command: process.execPath,
        args: tsxArgs('src/cli.ts', 'serve'),
        port,
        env: { ...OUR_ENV, DATABASE_URL: `sqlite:${path}`, OAUTH_SERVER: 'on', PUBLIC_URL: `http://127.0.0.1:${port}` },
      });
    })
    .then((server) => {
      // The client was registered by the call that started the server; later calls find it on the instance.
      const cached = server as ServerProcess & { benchClient?: OAuthServer['client'] };
      cached.benchClient ??= client;
      return { server, client: cached.benchClient! };
    });
}

/**
 * Row 11: `GET /users/me` with a JWT access token of our provider (RFC 9068, for the resource
 * PUBLIC_URL, docs/resource-server.md) against the same with a first-party bearer token of the same
 * user, on one server, in alternating rounds. The JWT comes from the authorization code flow of a
 * first-party client, once, before the rounds; each request verifies its signature and checks its
 * user and grant.
 */
export async function oauthJwtRow(ctx: BenchContext): Promise<RowReport> {
  const { server, client } = await oauthServer(ctx);
  const [tokens] = await codeFlowTokens(server, client, LOGIN, 1, { scope: 'openid', resource: server.url });
  const jwt = tokens!.access_token;
  const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString() || '{}') as { typ?: string };
  if (header.typ !== 'at+jwt') throw new Error(`the access token for ${server.url} is not an RFC 9068 JWT (header ${JSON.stringify(header)})`);
  const firstParty = bearerRequests([benchToken(0)]);
  const jwtRequests = bearerRequests([jwt]);
  const [mine, viaJwt] = [await expectOk(server, firstParty[0]!), await expectOk(server, jwtRequests[0]!)];
  if (mine !== viaJwt) throw new Error(`GET /users/me answered differently with the JWT: ${viaJwt} vs ${mine}`);
  const cpu: Record<string, number[]> = { session: [], jwt: [] };
  const samples = await alternate(
    ctx.config.rounds,
    {
      session: async () => {
        const r = await ctx.drive(server, firstParty);
        cpu.session!.push(r.cpuUsPerRequest);
        return r.rps;
      },
      jwt: async () => {
        const r = await ctx.drive(server, jwtRequests);
        cpu.jwt!.push(r.cpuUsPerRequest);
        return r.rps;
      },
    },
    ctx.config.warmup,
  );
  const [s, j] = [median(samples.session!), median(samples.jwt!)];
  // The warm-up round's CPU figures are in the arrays too: drop them as alternate() drops its samples.
  const measured = (xs: number[]) => median(ctx.config.warmup ? xs.slice(1) : xs);
  const [cs, cj] = [measured(cpu.session!), measured(cpu.jwt!)];
  return {
    id: 11,
    title: 'OAuth provider: JWT access tokens',
    metrics: [
      { label: 'GET /users/me, first-party bearer token', value: s, unit: 'req/s' },
      { label: 'GET /users/me, provider JWT access token (RFC 9068)', value: j, unit: 'req/s' },
      { label: 'first-party bearer token: server CPU per request', value: cs, unit: 'µs' },
      { label: 'provider JWT: server CPU per request', value: cj, unit: 'µs' },
    ],
    checks: [
      { label: 'JWT access token / first-party bearer token', value: j / s, unit: 'x', target: { op: '>=', value: 0.9 } },
      { label: 'JWT access token / first-party bearer token, by server CPU per request', value: cs / cj, unit: 'x' },
    ],
    notes: [
      'one token each, of the same user, on one server (OAUTH_SERVER=on, PUBLIC_URL the resource); the JWT from the authorization code flow of a first-party client (PKCE S256), once, before the rounds.',
    ],
  };
}

/**
 * Row 12: the refresh grant (rotation on every use, an ID token signed each time) on our server on
 * SQLite against the same engine standing alone with the in-memory adapter
 * (bench/servers/oidc-alone.ts), in alternating rounds. Each of `connections` clients follows its
 * own grant's chain of refresh tokens.
 */
export async function oauthRefreshRow(ctx: BenchContext): Promise<RowReport> {
  const { server, client } = await oauthServer(ctx);
  const n = ctx.config.connections;
  const ours = (await codeFlowTokens(server, client, LOGIN, n, { scope: 'openid offline_access' })).map((t) => {
    if (!t.refresh_token) throw new Error(`${server.name} issued no refresh token for scope offline_access`);
    return t.refresh_token;
  });
  const aloneClient = { clientId: 'bench-client', clientSecret: 'bench-client-secret-0123456789abcdef0123456789' };
  const alone = await ctx.server('oidc-alone', () =>
    startServer({
      name: 'oidc-alone',
      command: process.execPath,
      args: tsxArgs('bench/servers/oidc-alone.ts'),
      env: { OA_GRANTS: String(n), OA_CLIENT_ID: aloneClient.clientId, OA_CLIENT_SECRET: aloneClient.clientSecret },
    }),
  );
  const theirs = JSON.parse(await expectOk(alone, { path: '/bench/refresh-tokens' })) as string[];
  // Our server again, with the engine's in-memory adapter instead of our SQL storage: between the
  // two, what Fastify and our integration cost, and what durable storage does.
  const tokensFile = join(ctx.dir, 'memory-storage-tokens.json');
  const memory = await ctx.server('ours-memory-storage', async () => {
    const port = await freePort();
    return startServer({
      name: 'ours-memory-storage',
      command: process.execPath,
      args: tsxArgs('bench/servers/ours-memory-storage.ts'),
      port,
      env: {
        ...OUR_ENV,
        DATABASE_URL: `sqlite:${await ctx.seededSqlite('oauth-memory-storage')}`,
        OAUTH_SERVER: 'on',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        OM_GRANTS: String(n),
        OM_CLIENT_ID: aloneClient.clientId,
        OM_CLIENT_SECRET: aloneClient.clientSecret,
        OM_TOKENS_FILE: tokensFile,
      },
    });
  });
  const inMemory = JSON.parse(readFileSync(tokensFile, 'utf8')) as string[];
  // Server CPU per refresh grant, each round's (utime + stime of the server's processes over the round).
  const cpu: Record<string, number[]> = { alone: [], ours: [], memory: [] };
  const round = async (name: 'alone' | 'ours' | 'memory', server: ServerProcess, run: () => Promise<{ rps: number; ok: number }>) => {
    const before = cpuMs(server.pid);
    const { rps, ok } = await run();
    cpu[name]!.push(((cpuMs(server.pid) - before) * 1000) / ok);
    return rps;
  };
  const samples = await alternate(
    ctx.config.rounds,
    {
      alone: () => round('alone', alone, () => driveRefreshCounted(alone.url, aloneClient, theirs, ctx.config.seconds)),
      ours: () => round('ours', server, () => driveRefreshCounted(`${server.url}/oauth2`, client, ours, ctx.config.seconds)),
      memory: () => round('memory', memory, () => driveRefreshCounted(`${memory.url}/oauth2`, aloneClient, inMemory, ctx.config.seconds)),
    },
    ctx.config.warmup,
  );
  const [a, o, m] = [median(samples.alone!), median(samples.ours!), median(samples.memory!)];
  const measured = (xs: number[]) => median(ctx.config.warmup ? xs.slice(1) : xs);
  const [ca, co, cm] = [measured(cpu.alone!), measured(cpu.ours!), measured(cpu.memory!)];
  return {
    id: 12,
    title: 'OAuth provider: refresh grant',
    metrics: [
      { label: 'oidc-provider alone, in memory: refresh grant', value: a, unit: 'req/s' },
      { label: 'ours on SQLite: refresh grant', value: o, unit: 'req/s' },
      { label: 'oidc-provider alone: server CPU per refresh grant', value: ca, unit: 'µs' },
      { label: 'ours on SQLite: server CPU per refresh grant', value: co, unit: 'µs' },
      { label: "ours with the engine's in-memory adapter: refresh grant", value: m, unit: 'req/s' },
      { label: "ours with the engine's in-memory adapter: server CPU per refresh grant", value: cm, unit: 'µs' },
    ],
    checks: [
      { label: 'ours on SQLite / oidc-provider alone in memory', value: o / a, unit: 'x', target: { op: '>=', value: 0.8 } },
      { label: 'ours on SQLite / oidc-provider alone in memory, by server CPU per refresh grant', value: ca / co, unit: 'x' },
      { label: "ours with the engine's in-memory adapter / oidc-provider alone (what Fastify and our integration cost)", value: m / a, unit: 'x' },
      { label: 'ours on SQLite / ours with the in-memory adapter (what durable SQL storage costs)', value: o / m, unit: 'x' },
    ],
    notes: [
      `${n} concurrent clients (fetch, one request in flight each), each on its own grant, keeping every rotated refresh token; scope openid offline_access, so each grant also signs an ID token (RS256).`,
      'the engine alone is configured by our createEngine (same engine, same settings), its refresh tokens minted through its own models; ours come from the authorization code flow.',
      "the third contender is our whole server (bench/servers/ours-memory-storage.ts) with the provider's state in the engine's in-memory adapter, its tokens minted as the engine alone's are: it splits the gap into integration and storage.",
    ],
  };
}

/** {@link driveRefresh} with the number of grants answered, for CPU per grant. */
async function driveRefreshCounted(url: string, client: { clientId: string; clientSecret: string }, chains: string[], seconds: number) {
  const started = performance.now();
  const rps = await driveRefresh(url, client, chains, seconds);
  return { rps, ok: Math.round(rps * ((performance.now() - started) / 1000)) };
}

/**
 * Row 13: the discovery document and the JWKS from our server against bare Fastify serving the
 * same JSON (bench/servers/same-json.ts, copied from our answers), in alternating rounds.
 */
export async function oauthDiscoveryRow(ctx: BenchContext): Promise<RowReport> {
  const { server } = await oauthServer(ctx);
  const DISCOVERY = '/.well-known/openid-configuration';
  const metadata = JSON.parse(await expectOk(server, { path: DISCOVERY })) as { jwks_uri: string };
  const jwksPath = new URL(metadata.jwks_uri).pathname;
  const jwks = JSON.parse(await expectOk(server, { path: jwksPath })) as unknown;
  const bare = await ctx.server('same-json', () =>
    startServer({
      name: 'same-json',
      command: process.execPath,
      args: tsxArgs('bench/servers/same-json.ts'),
      env: { SJ_DOCUMENTS: JSON.stringify({ [DISCOVERY]: metadata, [jwksPath]: jwks }) },
    }),
  );
  const cpu: Record<string, number[]> = { bareDiscovery: [], oursDiscovery: [], bareJwks: [], oursJwks: [] };
  const drive = async (name: string, target: ServerProcess, path: string) => {
    const r = await ctx.drive(target, [{ path }]);
    cpu[name]!.push(r.cpuUsPerRequest);
    return r.rps;
  };
  const samples = await alternate(
    ctx.config.rounds,
    {
      bareDiscovery: () => drive('bareDiscovery', bare, DISCOVERY),
      oursDiscovery: () => drive('oursDiscovery', server, DISCOVERY),
      bareJwks: () => drive('bareJwks', bare, jwksPath),
      oursJwks: () => drive('oursJwks', server, jwksPath),
    },
    ctx.config.warmup,
  );
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const c = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(ctx.config.warmup ? v.slice(1) : v)])) as Record<string, number>;
  return {
    id: 13,
    title: 'OAuth provider: discovery and JWKS',
    metrics: [
      { label: `bare Fastify GET ${DISCOVERY}`, value: m.bareDiscovery!, unit: 'req/s' },
      { label: `ours GET ${DISCOVERY}`, value: m.oursDiscovery!, unit: 'req/s' },
      { label: `bare Fastify GET ${jwksPath}`, value: m.bareJwks!, unit: 'req/s' },
      { label: `ours GET ${jwksPath}`, value: m.oursJwks!, unit: 'req/s' },
      { label: 'bare Fastify: server CPU per discovery document', value: c.bareDiscovery!, unit: 'µs' },
      { label: 'ours: server CPU per discovery document', value: c.oursDiscovery!, unit: 'µs' },
      { label: 'bare Fastify: server CPU per JWKS', value: c.bareJwks!, unit: 'µs' },
      { label: 'ours: server CPU per JWKS', value: c.oursJwks!, unit: 'µs' },
    ],
    checks: [
      { label: 'discovery: ours / bare Fastify', value: m.oursDiscovery! / m.bareDiscovery!, unit: 'x', target: { op: '>=', value: 0.8 } },
      { label: 'discovery: ours / bare Fastify, by server CPU per answer', value: c.bareDiscovery! / c.oursDiscovery!, unit: 'x' },
      { label: 'JWKS: ours / bare Fastify', value: m.oursJwks! / m.bareJwks!, unit: 'x', target: { op: '>=', value: 0.8 } },
      { label: 'JWKS: ours / bare Fastify, by server CPU per answer', value: c.bareJwks! / c.oursJwks!, unit: 'x' },
    ],
    notes: ['the bare server answers the same documents, copied from our answers at the start of the row, serialised per request.'],
  };
}
