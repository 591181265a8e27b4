// The yardstick for row 1: the smallest honest bearer check — bare Fastify, the token's
// SHA-256 digest, one prepared SQLite join of access_tokens and users (with the expiry), the same
// JSON through the same response schema. No security headers, no CSRF/Origin/CORS, no logger:
// what the issue measured at 0.41–0.59 × bare Fastify, run here side by side with ours.
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';
import { digestToken } from '../../src/core/token.js';
import { ErrorBody, PublicUser } from '../../src/http/schemas.js';

const db = new BetterSqlite3(process.env.HW_DATABASE!, { fileMustExist: true });
db.pragma('query_only = ON');
const lookup = db
  .prepare<[string, string], [number, string, number, number, number]>(
    'SELECT u.id, u.email, u.is_active, u.is_superuser, u.is_verified FROM access_tokens t ' +
      'JOIN users u ON u.id = t.user_id WHERE t.token = ? AND t.expiration_date > ?',
  )
  .raw(true);

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/users/me', { schema: { response: { 200: PublicUser, 401: ErrorBody } } }, async (request, reply) => {
  const header = request.headers.authorization;
  const row = header?.startsWith('Bearer ') ? lookup.get(digestToken(header.slice(7)), new Date().toISOString()) : undefined;
  if (!row || row[2] !== 1) return reply.code(401).send({ detail: 'Not authenticated', code: 'NOT_AUTHENTICATED' });
  return { id: row[0], email: row[1], is_active: true, is_superuser: row[3] === 1, is_verified: row[4] === 1 };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
