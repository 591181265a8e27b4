// "Same bytes, no work": bare Fastify sending exactly what our server sends for GET /users/me —
// the body, the security headers, the cache headers, copied from a real answer of ours by the
// bench (SB_HEADERS: JSON object of header name → value; SB_BODY: the body) — with no
// authentication, no database and no hooks. The limit for our answer on this machine.
import Fastify from 'fastify';

const headers = JSON.parse(process.env.SB_HEADERS!) as Record<string, string>;
const body = process.env.SB_BODY!;

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
// A string payload with its content-type set is written as it is: no serialiser runs.
app.get('/users/me', (_request, reply) => {
  reply.headers(headers).send(body);
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
