import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServerBundle, SERVER_BUNDLE_DIR } from '../../scripts/build-server.js';
import { buildWeb } from '../../scripts/build-web.js';
import { cli } from '../support/cli.js';
import { TEST_SECRET } from '../support/constants.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { type ServerProcess, startServer } from '../support/processes.js';
import { deleteKeys, uniqueKeyPrefix } from '../support/redis.js';
import { registerAndLogin } from '../support/requests.js';
import { freePort } from '../support/servers.js';
import { postgres, redis } from '../support/services.js';
import { tempDir } from '../support/temp.js';

/** The packages a file of the bundle imports statically (`import … from "x"` / `import "x"`), minified or not. */
function staticImports(file: string): string[] {
  const source = readFileSync(join(SERVER_BUNDLE_DIR, file), 'utf8');
  return [...source.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g)].map((m) => m[1]!);
}

/** The packages a file of the bundle imports with `import("x")`, when the code runs there. */
function dynamicImports(file: string): string[] {
  const source = readFileSync(join(SERVER_BUNDLE_DIR, file), 'utf8');
  return [...source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]!);
}

/** The bundle files a process loads at start: the entry and the chunks it imports statically, transitively. */
function loadedAtStart(entry = 'cli.js', seen = new Set<string>()): Set<string> {
  seen.add(entry);
  for (const spec of staticImports(entry)) {
    const file = spec.replace(/^\.\//, '');
    if (spec.startsWith('./') && !seen.has(file)) loadedAtStart(file, seen);
  }
  return seen;
}

/** The web page and the bundle, built once for every suite of this file (each build is seconds of CPU). */
let building: Promise<unknown> | undefined;
function built(): Promise<unknown> {
  building ??= Promise.all([buildWeb(), buildServerBundle()]);
  return building;
}

/**
 * Packages loaded only when asked for: the clients when the configuration names them
 * (DATABASE_URL, REDIS_URL, SMTP_URL), Swagger on the first request for /docs or /openapi.json.
 */
const ON_DEMAND = ['pg', 'ioredis', 'nodemailer', '@fastify/swagger', '@fastify/swagger-ui'];

/**
 * The production entry, dist/bundle/cli.js (scripts/build-server.ts), is the same service as the
 * sources: everything a bundle can break — files found through `import.meta.url` (the web page),
 * packages loaded at run time (the password blocklist, Swagger UI's assets, the native addons) —
 * is exercised here through a real process.
 */
describe('the bundled service (node dist/bundle/cli.js serve)', () => {
  const dir = tempDir();
  let server: ServerProcess;
  before(async () => {
    await built();
    server = await startServer({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET }, ['dist/bundle/cli.js']);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test('register, log in and read the profile; SQLite and argon2 load from the bundle', async () => {
    const token = await registerAndLogin(server.url, 'bundle@example.com', 'correct horse battery staple');
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).email, 'bundle@example.com');
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(me.headers.get('cache-control'), 'no-store');
  });

  test('the common-password blocklist, loaded on first use, refuses a breached password', async () => {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'common@example.com', password: 'passwordpassword' }),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { detail: 'Password is too common', code: 'REGISTER_INVALID_PASSWORD' });
  });

  test('the web page, the OpenAPI document and Swagger UI with its assets are served', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="web\/app.js"><\/script>/);
    const openapi = await fetch(`${server.url}/openapi.json`);
    assert.equal(openapi.status, 200);
    const document = await openapi.json();
    assert.equal(document.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/token');
    const docs = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    assert.equal(docs.status, 200);
    const html = await docs.text();
    const asset = /src="\.?\/?(?:docs\/)?(static\/swagger-ui-bundle\.js)"/.exec(html);
    assert.ok(asset, 'Swagger UI page links its bundle');
    const script = await fetch(`${server.url}/docs/${asset[1]}`);
    assert.equal(script.status, 200);
    assert.ok((await script.text()).length > 100_000, 'Swagger UI script served from its package');
  });

  test('pg, ioredis, nodemailer and Swagger are not loaded at start: they live in chunks imported on demand', () => {
    const atStart = loadedAtStart();
    for (const file of atStart) {
      const found = staticImports(file).filter((spec) => ON_DEMAND.includes(spec));
      assert.deepEqual(found, [], `${file} (loaded at start) imports ${found.join(', ')}`);
    }
    // Each of them is still reachable: imported by a chunk that is itself loaded with import(), or
    // with an import() of its own (src/optional-packages.ts: optional peers, loaded when configured).
    const files = readdirSync(SERVER_BUNDLE_DIR).filter((file) => file.endsWith('.js'));
    for (const name of ON_DEMAND) {
      const onDemand = files.some((file) => (!atStart.has(file) && staticImports(file).includes(name)) || dynamicImports(file).includes(name));
      assert.ok(onDemand, `nothing in the bundle imports ${name} on demand`);
    }
  });
});

/**
 * oidc-provider finds a token's format by its class's name (`AccessToken`, `ClientCredentials`):
 * a bundle that renamed classes while hoisting them into one scope answered 500 at the token
 * endpoint for every JWT access token (scripts/build-server.ts keeps names for this).
 */
describe('the bundled service as an OAuth provider: a JWT access token is issued', () => {
  const dir = tempDir();
  let server: ServerProcess;
  let issuer: string;
  const env = () => ({
    DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`,
    SECRET_KEY: TEST_SECRET,
    OAUTH_SERVER: 'on',
    PUBLIC_URL: issuer,
    OAUTH_SERVER_SCOPES: 'notes:read',
  });
  before(async () => {
    await built();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    server = await startServer({ ...env(), PORT: String(port) }, ['dist/bundle/cli.js']);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test('client credentials with a resource: a signed at+jwt for it, not a 500', async () => {
    const created = await cli(['clients', 'create', '--name', 'Nightly export', '--grant', 'client_credentials', '--scope', 'notes:read'], { env: env() });
    assert.equal(created.code, 0, created.stderr);
    const { client_id: id, client_secret: secret } = JSON.parse(created.stdout.slice(created.stdout.indexOf('{')));
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'notes:read', resource: issuer }).toString(),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    const [header, payload] = String(body.access_token)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    assert.equal(header.typ, 'at+jwt');
    assert.deepEqual([payload.aud, payload.client_id, payload.scope], [issuer, id, 'notes:read']);
  });
});

const pg = postgres();
const redisService = redis();

describe('the bundled service on PostgreSQL and Redis (its on-demand chunks)', { skip: pg.skip || redisService.skip }, () => {
  let database: FreshDatabase;
  let server: ServerProcess;
  const prefix = uniqueKeyPrefix('bundle');
  before(async () => {
    await built();
    database = await freshDatabase(pg.value!, 'bundle');
    server = await startServer({ DATABASE_URL: database.url, REDIS_URL: redisService.value!, REDIS_KEY_PREFIX: prefix, SECRET_KEY: TEST_SECRET }, [
      'dist/bundle/cli.js',
    ]);
  });
  after(async () => {
    await server?.stop();
    await database?.drop();
    if (redisService.value) await deleteKeys(redisService.value, prefix);
  });

  test('register, log in and read the profile through pg and ioredis loaded from their chunks', async () => {
    const token = await registerAndLogin(server.url, 'bundle-pg@example.com', 'correct horse battery staple');
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).email, 'bundle-pg@example.com');
  });
});
