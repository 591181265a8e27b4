// The ceiling: a bare Fastify route answering the same JSON as GET /users/me, through the same
// response schema, with no authentication and no database.
import Fastify from 'fastify';
import { PublicUser } from '../../src/http/schemas.js';

const USER = { id: 1, email: 'user0@bench.test', is_active: true, is_superuser: false, is_verified: true };

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/users/me', { schema: { response: { 200: PublicUser } } }, async () => USER);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
