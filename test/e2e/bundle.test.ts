import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildServerBundle } from '../../scripts/build-server.js';
import { buildWeb } from '../../scripts/build-web.js';
import { tempDir, TEST_SECRET } from '../helpers.js';
import { registerAndLogin, startServer, type ServerProcess } from './server-process.js';

/**
 * The production entry, dist/bundle/cli.js (scripts/build-server.ts), is the same service as the
 * sources: everything a bundle can break — files found through `import.meta.url` (the web page),
 * packages loaded at run time (the password blocklist, Swagger UI's assets, the native addons) —
 * is exercised here through a real process.
 */
describe('the bundled service (node dist/bundle/cli.js serve)', () => {
  const dir = tempDir();
  let server: ServerProcess;
  before(async () => {
    await Promise.all([buildWeb(), buildServerBundle()]);
    server = await startServer({ DATABASE_URL: `sqlite:${join(dir.path, 'auth.db')}`, SECRET_KEY: TEST_SECRET }, ['dist/bundle/cli.js']);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  test('register, log in and read the profile; SQLite and argon2 load from the bundle', async () => {
    const token = await registerAndLogin(server.url, 'bundle@example.com', 'correct horse battery staple');
    const me = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).email, 'bundle@example.com');
    assert.equal(me.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(me.headers.get('cache-control'), 'no-store');
  });

  test('the common-password blocklist, loaded on first use, refuses a breached password', async () => {
    const response = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'common@example.com', password: 'passwordpassword' }),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { detail: 'Password is too common', code: 'REGISTER_INVALID_PASSWORD' });
  });

  test('the web page, the OpenAPI document and Swagger UI with its assets are served', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="web\/app.js"><\/script>/);
    const openapi = await fetch(`${server.url}/openapi.json`);
    assert.equal(openapi.status, 200);
    const document = await openapi.json();
    assert.equal(document.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/token');
    const docs = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    assert.equal(docs.status, 200);
    const html = await docs.text();
    const asset = /src="\.?\/?(?:docs\/)?(static\/swagger-ui-bundle\.js)"/.exec(html);
    assert.ok(asset, 'Swagger UI page links its bundle');
    const script = await fetch(`${server.url}/docs/${asset[1]}`);
    assert.equal(script.status, 200);
    assert.ok((await script.text()).length > 100_000, 'Swagger UI script served from its package');
  });
});
