// Row 13's ceiling: bare Fastify answering GET requests with JSON documents copied from a real
// answer of our server (SJ_DOCUMENTS: JSON object of path → document), serialised per request as
// the engine does — no engine, no hooks.
import Fastify from 'fastify';

const documents = JSON.parse(process.env.SJ_DOCUMENTS!) as Record<string, unknown>;

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
for (const [path, document] of Object.entries(documents)) app.get(path, async () => document);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
