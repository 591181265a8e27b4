import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer, readConfig } from '../../../src/server.js';
import { TEST_SECRET } from '../../support/constants.js';
import { sqliteURL, tempDir } from '../../support/temp.js';

// The engine is handed each request with its own view of the URL (`/token` under `/oauth2`): the
// access log must still name the path the client called (OWASP Logging CS: what was asked).
describe("the provider's requests in the access log", () => {
  const dir = tempDir();
  const lines: { msg: string; req?: { url?: string; method?: string }; res?: { statusCode?: number } }[] = [];
  let app: FastifyInstance;
  before(async () => {
    const config = readConfig({
      SECRET_KEY: TEST_SECRET,
      DATABASE_URL: sqliteURL(dir),
      PUBLIC_URL: 'http://127.0.0.1:9',
      OAUTH_SERVER: 'on',
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
    });
    app = await buildServer(config, { logStream: { write: (line) => void lines.push(JSON.parse(line)) } });
  });
  after(async () => {
    await app?.close();
    dir.cleanup();
  });

  test('each completed request is logged under the path and query shape it was called with', async () => {
    const calls = [
      { method: 'GET', url: '/oauth2/jwks', logged: '/oauth2/jwks' },
      { method: 'GET', url: '/oauth2/jwks', logged: '/oauth2/jwks' }, // the ready copy
      { method: 'POST', url: '/oauth2/token', logged: '/oauth2/token' },
      { method: 'GET', url: '/.well-known/oauth-authorization-server', logged: '/.well-known/oauth-authorization-server' },
      { method: 'GET', url: '/oauth2/auth?client_id=x&code_challenge=secret', logged: '/oauth2/auth?[redacted]' },
    ] as const;
    for (const call of calls) {
      lines.length = 0;
      const response = await app.inject({ method: call.method, url: call.url });
      assert.ok(response.statusCode < 500, `${call.url}: ${response.statusCode}`);
      const completed = lines.filter((line) => line.msg === 'request completed');
      assert.equal(completed.length, 1, call.url);
      assert.equal(completed[0]!.req?.url, call.logged);
      assert.equal(completed[0]!.req?.method, call.method);
      assert.equal(completed[0]!.res?.statusCode, response.statusCode);
    }
  });
});
