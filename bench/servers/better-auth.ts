// Better Auth on SQLite (better-sqlite3 through its Kysely adapter) behind a plain node:http
// server, as its Node integration documents. At start it creates its tables with its own
// migration API, signs up BA_USERS users through its API, writes their session cookies to
// BA_COOKIES_FILE, then listens. The bench then drives GET /api/auth/get-session. With
// BA_COOKIE_CACHE=1 its cookie cache is on (its fastest mode: the session travels in a signed
// cookie for 5 minutes, and a revoked session stays valid until that cookie expires).
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const users = Number(process.env.BA_USERS ?? 1000);
const sqlite = new Database(process.env.BA_DATABASE!);
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = NORMAL');

const auth = betterAuth({
  database: sqlite,
  baseURL: `http://127.0.0.1:${port}`,
  secret: 'bench-secret-key-that-is-long-enough-0123456789abcdef',
  telemetry: { enabled: false },
  rateLimit: { enabled: false },
  logger: { level: 'error' },
  ...(process.env.BA_COOKIE_CACHE === '1' ? { session: { cookieCache: { enabled: true, maxAge: 5 * 60 } } } : {}),
  emailAndPassword: {
    enabled: true,
    // Only get-session is measured: a cheap password hash keeps signing up 1,000 users quick.
    password: {
      hash: async (password) => createHash('sha256').update(password).digest('hex'),
      verify: async ({ hash, password }) => createHash('sha256').update(password).digest('hex') === hash,
    },
  },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const cookies: string[] = [];
for (let i = 0; i < users; i++) {
  const response = await auth.api.signUpEmail({
    body: { email: `user${i}@bench.test`, password: 'correct horse battery staple', name: `user ${i}` },
    asResponse: true,
  });
  const set = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
  if (!set.some((c) => c.includes('session_token='))) throw new Error(`sign-up ${i} set no session cookie (${response.status})`);
  if (process.env.BA_COOKIE_CACHE === '1' && !set.some((c) => c.includes('session_data='))) throw new Error(`sign-up ${i} set no cookie-cache cookie`);
  cookies.push(set.join('; '));
}
writeFileSync(process.env.BA_COOKIES_FILE!, JSON.stringify(cookies));

const server = createServer(toNodeHandler(auth));
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
