import assert from 'node:assert/strict';
import fc from 'fast-check';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { PASSWORD } from '../support/constants.js';
import { testDatabases } from '../support/databases.js';
import { buildTestServer, type TestServer } from '../support/servers.js';
import { internalsOf } from '../support/internals.js';

/**
 * Property-based fuzzing of every route (docs/security.md, "Bad input"): generated bodies, headers,
 * content types, methods and client addresses. Whatever arrives: never a 5xx, every error is
 * JSON `{detail, code}`, and a refused request changes nothing (the user count moves only on 201).
 * `npm test` runs a bounded number of cases; `npm run fuzz` (FUZZ_RUNS, default 20000) a long run.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** Every route the service serves (checked against the app below). */
const ROUTES: [string, string][] = [
  ['POST', '/register'],
  ['POST', '/token'],
  ['POST', '/login'],
  ['POST', '/logout'],
  ['GET', '/users/me'],
  ['GET', '/protected-route'],
  ['GET', '/health'],
  ['GET', '/csrf'],
  ['GET', '/openapi.json'],
  ['GET', '/'],
  ['GET', '/web/:file'],
  ['OPTIONS', '*'],
  ['POST', '/forgot-password'],
  ['POST', '/reset-password'],
  ['POST', '/request-verify-token'],
  ['POST', '/verify'],
  ['PATCH', '/users/me'],
  ['DELETE', '/users/me'],
  ['GET', '/users/me/sessions'],
  ['DELETE', '/users/me/sessions'],
  ['DELETE', '/users/me/sessions/:id'],
  ['GET', '/users'],
  ['GET', '/users/:id'],
  ['PATCH', '/users/:id'],
  ['DELETE', '/users/:id'],
  ['POST', '/login/otp'],
  ['POST', '/users/me/reauthenticate'],
  ['GET', '/users/me/totp'],
  ['POST', '/users/me/totp'],
  ['DELETE', '/users/me/totp'],
  ['POST', '/users/me/totp/confirm'],
  ['POST', '/users/me/passkeys/options'],
  ['POST', '/users/me/passkeys'],
  ['GET', '/users/me/passkeys'],
  ['DELETE', '/users/me/passkeys/:id'],
  ['POST', '/users/me/api-keys'],
  ['GET', '/users/me/api-keys'],
  ['DELETE', '/users/me/api-keys/:id'],
  ['POST', '/orgs/:id/api-keys'],
  ['GET', '/orgs/:id/api-keys'],
  ['DELETE', '/orgs/:id/api-keys/:keyId'],
  ['POST', '/passkeys/login/options'],
  ['POST', '/passkeys/login'],
  ['GET', '/oauth/providers'],
  ['GET', '/oauth/:provider/authorize'],
  ['GET', '/oauth/:provider/callback'],
  ['POST', '/oauth/:provider/link'],
  ['GET', '/users/me/accounts'],
  ['DELETE', '/users/me/accounts/:id'],
  ['POST', '/orgs'],
  ['GET', '/orgs'],
  ['GET', '/orgs/:id'],
  ['PATCH', '/orgs/:id'],
  ['DELETE', '/orgs/:id'],
  ['GET', '/orgs/:id/members'],
  ['PATCH', '/orgs/:id/members/:user_id'],
  ['DELETE', '/orgs/:id/members/:user_id'],
  ['POST', '/orgs/:id/invitations'],
  ['GET', '/orgs/:id/invitations'],
  ['DELETE', '/orgs/:id/invitations/:invitation_id'],
  ['POST', '/invitations/accept'],
  ['POST', '/login/email'],
  ['POST', '/login/email/verify'],
  ['GET', '/users/me/events'],
  ['GET', '/admin/events'],
  ['POST', '/admin/users/:id/impersonate'],
  ['POST', '/users/me/impersonation/stop'],
  ['POST', '/admin/oauth-clients'],
  ['GET', '/admin/oauth-clients'],
  ['DELETE', '/admin/oauth-clients/:id'],
  ['GET', '/users/me/oauth-grants'],
  ['DELETE', '/users/me/oauth-grants/:client_id'],
  ['GET', '/.well-known/oauth-protected-resource'],
];

/**
 * Our OAuth provider's engine (docs/oauth-server.md): it answers in OAuth's own formats (RFC 6749
 * §5.2 JSON errors, HTML error pages for the browser), not ours, so it is fuzzed by
 * test/features/oauth-server/engine-fuzz.test.ts (never a 5xx) rather than here. Its catch-all
 * `/oauth2/*` shows as `/*` in Fastify's route tree, which drops a static prefix before a wildcard.
 */
const ENGINE_ROUTES = /^(GET|POST|OPTIONS|DELETE|PUT) \/((oauth2\/|\.well-known\/(openid-configuration|oauth-authorization-server))|\*$)/;

const KNOWN_EMAIL = 'fuzz@example.com';

const hostile = fc.constantFrom(
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '\u0000',
  'a\u0000b@example.com',
  'a@example.com\r\nX: y',
  '{"$ne":null}',
  '__proto__',
  'constructor',
  '%00',
  '%ZZ',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '\uD800',
  'ａ@example.com',
  KNOWN_EMAIL,
  PASSWORD,
  'password',
  'Bearer x',
  '',
);
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  hostile,
  fc.constantFrom(1_000, 5_000, 70_000).map((n) => 'x'.repeat(n)),
);
const fieldName = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'email',
      'password',
      'username',
      'grant_type',
      'scope',
      'is_superuser',
      'id',
      'current_password',
      'token',
      'otp',
      'code',
      'request_id',
      'transport',
      'response',
      '__proto__',
      'constructor',
      'email[]',
      'password[$ne]',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const fieldValue = fc.oneof(text, fc.emailAddress(), fc.jsonValue({ maxDepth: 3 }));

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value; // lone surrogates: send them raw
  }
}

const jsonBody = fc.oneof(
  fc.dictionary(fieldName, fieldValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 4 }),
  fc.record({ email: fieldValue, password: fieldValue }).map((o) => JSON.stringify(o)),
  fc.record({ email: fc.emailAddress(), password: fc.oneof(fc.constant(PASSWORD), text) }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{"__proto__":{"is_superuser":true}}', '{"a":{"constructor":{"prototype":{"x":1}}}}', '{', '[', 'null', '"'),
);
const formBody = fc.oneof(
  fc
    .array(fc.tuple(fieldName, fc.oneof(text, fc.emailAddress())), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => `${safeEncode(k)}=${safeEncode(v)}`).join('&')),
  fc.array(fc.tuple(fieldName, fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
);
const body = fc.oneof(
  jsonBody,
  formBody,
  text,
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(undefined),
);
const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'APPLICATION/JSON',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/vnd.api+json',
      ';',
      '',
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  ),
  { nil: undefined },
);
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  hostile.map((h) => h.replace(/[^\x20-\x7e]/g, '')),
);

/** `METHOD /path` of every route in Fastify's `printRoutes({ commonPrefix: false })` tree. */
function routesOf(tree: string): string[] {
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^(.*?)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    const path = `${depth > 0 ? parents[depth - 1] : ''}${match[2]}`;
    parents.length = depth;
    parents[depth] = path;
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

interface Case {
  method: string;
  url: string;
  payload: string | Buffer | undefined;
  headers: Record<string, string>;
  remoteAddress: string;
}

function caseArbitrary(validToken: () => string): fc.Arbitrary<Case> {
  const route = fc.constantFrom(...ROUTES);
  const method = fc.oneof(
    { weight: 5, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD') },
  );
  const authorization = fc.option(
    fc.oneof(
      headerValue,
      headerValue.map((v) => `Bearer ${v}`),
      fc.constant('valid'),
    ),
    { nil: undefined },
  );
  const cookie = fc.option(
    fc.oneof(
      headerValue.map((v) => `token=${v}`),
      fc.constant('valid'),
      headerValue,
    ),
    { nil: undefined },
  );
  const query = fc.option(
    fc.oneof(
      fc.constant('?access_token=x'),
      headerValue.map((v) => `?${v.replace(/[#\s]/g, '')}`),
    ),
    { nil: '' },
  );
  // Mostly a body of the kind its content type announces (to get past the parsers), sometimes anything.
  const typedBody: fc.Arbitrary<[string | undefined, string | Buffer | undefined]> = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constant('application/json'), jsonBody) },
    { weight: 3, arbitrary: fc.tuple(fc.constant('application/x-www-form-urlencoded'), formBody) },
    { weight: 3, arbitrary: fc.tuple(contentType, body) },
  );
  return fc
    .record({
      route,
      method,
      typed: typedBody,
      authorization,
      cookie,
      query,
      forwarded: fc.option(headerValue, { nil: undefined }),
      // API keys (docs/api-keys.md): garbage, and garbage shaped like a key.
      apiKey: fc.option(
        fc.oneof(
          headerValue,
          headerValue.map((v) => `fu_${v}`),
        ),
        { nil: undefined },
      ),
      ip: fc.oneof(fc.ipV4(), fc.ipV6()),
    })
    .map(({ route, method, typed: [contentType, body], authorization, cookie, query, forwarded, apiKey, ip }) => {
      const headers: Record<string, string> = {};
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (authorization !== undefined) headers.authorization = authorization === 'valid' ? `Bearer ${validToken()}` : authorization;
      if (cookie !== undefined) headers.cookie = cookie === 'valid' ? `token=${validToken()}` : cookie;
      if (forwarded !== undefined) headers['x-forwarded-for'] = forwarded;
      if (apiKey !== undefined) headers['x-api-key'] = apiKey;
      // The catch-all preflight route is exercised on a real path.
      const path = route[1] === '*' ? '/token' : route[1];
      return { method: method ?? route[0], url: `${path}${query}`, payload: body, headers, remoteAddress: ip };
    });
}

for (const database of testDatabases())
  describe(`fuzzing every route (${database.name})`, { skip: database.skip }, () => {
    let s: TestServer;
    let drop: () => Promise<void>;
    let token = '';
    const userCount = async () => (await internalsOf(s.app).auth.store.listUsers(0, 1_000_000)).length;

    before(async () => {
      const created = await database.create();
      drop = created.drop;
      // A listed CORS origin, so the CORS hooks and their catch-all preflight route are fuzzed too.
      // The provider on, so its admin routes are fuzzed too.
      s = await buildTestServer({
        ...created.env,
        TRUSTED_PROXIES: '127.0.0.1',
        CORS_ORIGINS: 'https://app.example.com',
        PUBLIC_URL: 'http://127.0.0.1:8000',
        OAUTH_SERVER: 'on',
      });
      assert.equal((await s.app.inject({ method: 'POST', url: '/register', payload: { email: KNOWN_EMAIL, password: PASSWORD } })).statusCode, 201);
      const issued = await s.app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `username=${KNOWN_EMAIL}&password=${encodeURIComponent(PASSWORD)}`,
      });
      token = issued.json().access_token;
    });
    after(async () => {
      await s?.close();
      await drop?.();
    });

    test('the route list covers the app (a new route must be added to ROUTES to be fuzzed)', () => {
      // printRoutes shows @fastify/cors's catch-all preflight route `/*` as `*`.
      for (const [method, url] of ROUTES) assert.ok(s.app.hasRoute({ method: method as 'GET', url: url === '*' ? '/*' : url }), `${method} ${url} exists`);
      const listed = new Set(ROUTES.map(([method, url]) => `${method} ${url}`));
      const served = routesOf(s.app.printRoutes({ commonPrefix: false })).filter(
        (r) => !r.startsWith('HEAD ') && !/^GET \/docs/.test(r) && !ENGINE_ROUTES.test(r),
      );
      assert.deepEqual(
        served.filter((r) => !listed.has(r)),
        [],
        'routes the fuzzer does not know',
      );
    });

    test(`generated requests never cause a 5xx, errors are JSON {detail, code}, refusals store nothing (${RUNS} runs)`, async () => {
      const seen = new Map<number, number>();
      let skipped = 0;
      await fc.assert(
        fc.asyncProperty(
          caseArbitrary(() => token),
          async (c) => {
            const before = await userCount();
            let response: LightMyRequestResponse;
            try {
              response = await s.app.inject(c as InjectOptions);
            } catch (error) {
              // light-my-request refuses some header values itself (invalid characters): not our server.
              if (error instanceof TypeError && /header|character/i.test(error.message)) {
                skipped += 1;
                return;
              }
              throw error;
            }
            seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
            assert.ok(response.statusCode < 500, `${c.method} ${c.url} → ${response.statusCode} ${response.body.slice(0, 300)}`);
            if (response.statusCode >= 400 && c.method !== 'HEAD') {
              assert.match(String(response.headers['content-type']), /^application\/json/, `${response.statusCode} is JSON`);
              const parsed = response.json();
              assert.equal(typeof parsed.code, 'string');
              assert.ok('detail' in parsed);
              assert.doesNotMatch(response.body, /"stack"|\n\s+at /);
            }
            if (response.statusCode >= 400) assert.equal(await userCount(), before, 'a refused request changes no user');
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      if (process.env.FUZZ_VERBOSE) console.log({ statuses: Object.fromEntries(seen), skipped });
      assert.ok(skipped < RUNS / 4, `most generated requests were sent (${skipped} refused by the injector)`);
      assert.ok(seen.size > 3, `a spread of outcomes: ${JSON.stringify(Object.fromEntries(seen))}`);
    });
  });
