import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TEST_SECRET } from '../support/constants.js';
import { startServer } from '../support/processes.js';
import { tempDir } from '../support/temp.js';

/** The HTTP API (docs/api.md) through a real listening server process on a temp SQLite file, across a restart. */
describe('end to end: a real server process on a SQLite file', () => {
  const dir = tempDir();
  after(() => dir.cleanup());
  const env = { DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET };

  test('register → /token → /protected-route, restart on the same file, the token still works', async () => {
    let server = await startServer(env);
    let token: string;
    try {
      const registered = await fetch(`${server.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'e2e@example.com', password: 'correct horse battery staple' }),
      });
      assert.equal(registered.status, 201);

      const issued = await fetch(`${server.url}/token`, {
        method: 'POST',
        body: new URLSearchParams({ username: 'e2e@example.com', password: 'correct horse battery staple' }),
      });
      assert.equal(issued.status, 200);
      assert.equal(issued.headers.get('cache-control'), 'no-store');
      token = (await issued.json()).access_token;

      const protectedRoute = await fetch(`${server.url}/protected-route`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(protectedRoute.status, 200);
      assert.equal((await protectedRoute.json()).email, 'e2e@example.com');
    } finally {
      assert.equal(await server.stop(), 0, 'SIGTERM shuts down cleanly');
    }
    // The log never holds the password or the token.
    assert.ok(!server.output().includes('correct horse battery staple'));
    assert.ok(!server.output().includes(token));

    server = await startServer(env);
    try {
      const again = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(again.status, 200);
      assert.equal((await again.json()).email, 'e2e@example.com');
      const logout = await fetch(`${server.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(logout.status, 204);
      const after = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(after.status, 401);
      assert.equal(after.headers.get('www-authenticate'), 'Bearer');
    } finally {
      await server.stop();
    }
  });
});
