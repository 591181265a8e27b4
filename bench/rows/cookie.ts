import { alternate, expectOk, OUR_ENV, tsxArgs, type BenchContext } from '../lib/context.js';
import type { RequestSpec } from '../lib/load.js';
import { startServer, type ServerProcess } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { median } from '../lib/stats.js';

const CSRF_COOKIE = 'csrftoken';

/**
 * The CSRF pair of a session, the way a browser gets it: a safe request with the auth cookie,
 * then the `csrftoken` cookie it set. `null` when the server sets none (a build without CSRF).
 */
async function csrfPair(server: ServerProcess, authCookie: string): Promise<string | null> {
  const response = await fetch(`${server.url}/users/me`, { headers: { cookie: authCookie } });
  await response.arrayBuffer();
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    if (pair!.startsWith(`${CSRF_COOKIE}=`)) return pair!.slice(CSRF_COOKIE.length + 1);
  }
  return null;
}

/**
 * Row 2: cookie-authenticated requests on our plugin in library mode: a safe GET /users/me and
 * an unsafe POST to a host route behind `app.authenticate`, carrying the double-submit pair
 * (cookie + `x-csrftoken` header) when the server hands one out.
 */
export async function cookieRow(ctx: BenchContext): Promise<RowReport> {
  const bare = await ctx.bare();
  const lib = await ctx.server('library', async () =>
    startServer({
      name: 'library',
      command: process.execPath,
      args: tsxArgs('bench/servers/library.ts'),
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${await ctx.seededSqlite('library')}` },
    }),
  );
  const tokens = ctx.bearerPool();
  const safe: RequestSpec[] = tokens.map((t) => ({ path: '/users/me', headers: { cookie: `token=${t}` } }));
  const unsafe: RequestSpec[] = [];
  let withCsrf = 0;
  for (let i = 0; i < tokens.length; i += 50) {
    const pairs = await Promise.all(tokens.slice(i, i + 50).map((t) => csrfPair(lib, `token=${t}`)));
    pairs.forEach((csrf, k) => {
      const token = tokens[i + k]!;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (csrf) {
        withCsrf += 1;
        headers.cookie = `token=${token}; ${CSRF_COOKIE}=${csrf}`;
        headers['x-csrftoken'] = csrf;
      } else {
        headers.cookie = `token=${token}`;
      }
      unsafe.push({ method: 'POST', path: '/bench/unsafe', headers, body: '{}' });
    });
  }
  await expectOk(lib, safe[0]!);
  await expectOk(lib, unsafe[0]!);
  const samples = await alternate(
    ctx.config.rounds,
    {
      bare: async () => (await ctx.drive(bare, [{ path: '/users/me' }])).rps,
      safe: async () => (await ctx.drive(lib, safe)).rps,
      unsafe: async () => (await ctx.drive(lib, unsafe)).rps,
    },
    ctx.config.warmup,
  );
  const [b, s, u] = [median(samples.bare!), median(samples.safe!), median(samples.unsafe!)];
  const csrfNote =
    withCsrf === tokens.length
      ? `every unsafe request carried a valid CSRF pair (${CSRF_COOKIE} cookie from a GET, echoed in x-csrftoken).`
      : withCsrf === 0
        ? 'this build sets no csrftoken cookie (CSRF is not merged here), so the unsafe POST was measured WITHOUT a CSRF check: ' +
          'the harness picks the pair up automatically once CSRF lands, and only then does the row measure what its title says.'
        : `only ${withCsrf} of ${tokens.length} sessions got a csrftoken cookie; the rest were sent without one.`;
  return {
    id: 2,
    title: 'Cookie + CSRF',
    metrics: [
      { label: 'bare Fastify GET /users/me (ceiling)', value: b, unit: 'req/s' },
      { label: 'ours (library mode) GET /users/me, cookie', value: s, unit: 'req/s' },
      { label: `ours (library mode) POST /bench/unsafe, cookie${withCsrf > 0 ? ' + CSRF pair' : ' (no CSRF in this build)'}`, value: u, unit: 'req/s' },
    ],
    checks: [
      { label: 'cookie GET / bare', value: s / b, unit: 'x' },
      { label: `cookie unsafe POST${withCsrf > 0 ? ' + CSRF' : ' (no CSRF yet)'} / bare`, value: u / b, unit: 'x', target: { op: '>=', value: 0.5 } },
    ],
    notes: [
      "target 0.5 × bare for an unsafe cookie request with its CSRF check (the session cache's targets, docs/session-cache.md).",
      'the unsafe request is a host route (`POST /bench/unsafe`, behind `app.authenticate`) of bench/servers/library.ts, so no token is revoked while measuring.',
      csrfNote,
    ],
  };
}
