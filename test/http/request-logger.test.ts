import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { deferredChildLoggerFactory } from '../../src/http/request-logger.js';
import { LOG_REDACTION } from '../../src/http/log-redaction.js';

/** An app with our logger settings writing to `lines`, and a count of the children pino made. */
async function appLogging(level: string) {
  const lines: Record<string, unknown>[] = [];
  const app = Fastify({
    logger: { level, ...LOG_REDACTION, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    childLoggerFactory: deferredChildLoggerFactory,
  });
  let children = 0;
  const child = app.log.child.bind(app.log);
  app.log.child = ((...args: Parameters<typeof child>) => {
    children += 1;
    return child(...args);
  }) as typeof app.log.child;
  app.get('/quiet', async () => ({ ok: true }));
  app.get('/warns', async (request) => {
    request.log.warn({ body: { password: 'hunter2-hunter2' } }, 'something odd');
    request.log.debug('below the level');
    return { ok: true };
  });
  app.get('/route-level', { logLevel: 'debug' }, async (request) => {
    request.log.debug('route debug');
    return { ok: true };
  });
  await app.ready();
  return { app, lines, children: () => children };
}

describe('request logger made on first use', () => {
  test('a request that writes no line makes no pino child', async () => {
    const { app, lines, children } = await appLogging('warn');
    for (let i = 0; i < 5; i += 1) assert.equal((await app.inject('/quiet')).statusCode, 200);
    assert.equal(children(), 0);
    assert.deepEqual(lines, []);
    await app.close();
  });

  test("a line written is the eager child's: reqId bound, redaction applied, level respected", async () => {
    const { app, lines, children } = await appLogging('warn');
    assert.equal((await app.inject('/warns')).statusCode, 200);
    assert.equal(children(), 1);
    assert.equal(lines.length, 1, 'the debug line is below the level');
    assert.equal(lines[0]!.msg, 'something odd');
    assert.deepEqual(lines[0]!.body, { password: '[redacted]' });
    assert.match(String(lines[0]!.reqId), /^req-/);
    await app.close();
  });

  test("at info, Fastify's request lines of one request share its reqId", async () => {
    const { app, lines } = await appLogging('info');
    await app.inject('/quiet');
    await app.inject('/quiet');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['incoming request', 'request completed', 'incoming request', 'request completed'],
    );
    assert.equal(lines[0]!.reqId, lines[1]!.reqId);
    assert.notEqual(lines[1]!.reqId, lines[2]!.reqId);
    await app.close();
  });

  test('a route with its own level gets a child at that level', async () => {
    const { app, lines } = await appLogging('warn');
    await app.inject('/route-level');
    assert.ok(lines.some((line) => line.msg === 'route debug' && typeof line.reqId === 'string'));
    await app.close();
  });
});
