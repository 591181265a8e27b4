// Our plugin in library mode, as a host application registers it, plus one host route that is
// an unsafe (POST) request behind `app.authenticate`: the "cookie + CSRF" row drives it.
import Fastify from 'fastify';
import { fastifyUsers } from '../../src/http/plugin.js';
import { handleError } from '../../src/http/reply-error.js';
import { deferredChildLoggerFactory } from '../../src/http/request-logger.js';
import { PublicUser } from '../../src/http/schemas.js';
import { LOG_REDACTION } from '../../src/http/log-redaction.js';
import { readConfig } from '../../src/server.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';

const PLAIN_USER = { id: 1, email: 'user0@bench.test', is_active: true, is_superuser: false, is_verified: true };

const config = readConfig();
// The logger as docs/library.md advises a host with redaction: children made when a request logs.
const app = Fastify({
  logger: { level: config.logLevel, ...LOG_REDACTION },
  childLoggerFactory: deferredChildLoggerFactory,
});
app.setErrorHandler(handleError);
if (process.env.BENCH_AUDIT === 'off') {
  // Row 15's "log off": the same SQL store with its audit table hidden, so the plugin records nothing.
  const store = await SQLStore.open(config.databaseUrl);
  const withoutAudit = new Proxy(store, { get: (target, key) => (key === 'audit' ? undefined : Reflect.get(target, key, target)) });
  app.addHook('onClose', async () => store.close());
  await app.register(fastifyUsers, { ...config.auth, store: withoutAudit });
} else {
  await app.register(fastifyUsers, { ...config.auth, databaseUrl: config.databaseUrl });
}
// The same app's stack without authentication: separates the framework's cost from the guard's.
app.get('/bench/plain', { schema: { response: { 200: PublicUser } } }, async () => PLAIN_USER);
// With a response schema, as the bare ceiling's route has: the row compares auth, not serialisers.
app.post('/bench/unsafe', { preHandler: app.authenticate, schema: { response: { 200: PublicUser } } }, async (request) => request.user);
await app.listen({ port: config.port, host: config.host });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
