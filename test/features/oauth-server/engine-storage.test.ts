/**
 * The storage under the real engine (oidc-provider), two engines on one database as two instances
 * are: a token issued by one is introspected and revoked through the other, the keys they publish
 * are the same, and the token is nowhere in the database in the clear.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import Provider from 'oidc-provider';
import { OAuthClientStore } from '../../../src/features/oauth-server/client-store.js';
import { createSQLAdapterFactory } from '../../../src/features/oauth-server/sql-adapter.js';
import { SigningKeys } from '../../../src/features/oauth-server/signing-keys.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';
import { TEST_SECRET } from '../../support/constants.js';
import { postgres } from '../../support/services.js';
import { type StorageFixture, storageBackends } from './store-fixtures.js';

const pg = postgres();

/** One engine on `store`, listening on loopback; every instance shares the issuer, as behind one load balancer. */
async function engineOn(store: SQLStore, issuerPort?: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A server left listening would keep the test process alive after a failure below.
  const jwks = await new SigningKeys(store.db, store.dialect, { secretKeys: [TEST_SECRET] }).load().catch((error: unknown) => {
    server.close();
    throw error;
  });
  const provider = new Provider(issuerPort === undefined ? url : `http://127.0.0.1:${issuerPort}`, {
    adapter: createSQLAdapterFactory(store.db, store.dialect, { secretKeys: [TEST_SECRET] }).Adapter,
    jwks: jwks as never,
    scopes: ['api:read'],
    features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, revocation: { enabled: true }, devInteractions: { enabled: false } },
    cookies: { keys: ['engine-storage-test-cookie-key-0123456789'] },
  });
  provider.on('server_error', (_ctx: unknown, error: unknown) => console.error(error));
  server.on('request', provider.callback());
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const backend of storageBackends(pg)) {
  describe(`oidc-provider on the SQL storage, ${backend.name}`, { skip: backend.skip }, () => {
    const closing: Array<() => Promise<unknown>> = [];
    after(async () => {
      for (const close of closing.reverse()) await close();
    });

    test('a token issued by one instance is introspected and revoked through another; both publish the same public keys', async () => {
      const fixture: StorageFixture = await backend.open();
      closing.push(fixture.cleanup);
      const clients = new OAuthClientStore(fixture.store.db, fixture.store.dialect);
      const client = await clients.create({
        client_name: 'Reports',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read',
      });
      const a = await engineOn(fixture.store);
      closing.push(a.close);
      const b = await engineOn(await fixture.another(), Number(new URL(a.url).port));
      closing.push(b.close);
      // The engine compares the stored digest of the secret: the mount hands it the presented
      // secret's digest (docs/oauth-server.md), which this test presents directly.
      const stored = await fixture.store.db
        .withTables<{ oauth_server_clients: { client_id: string; metadata: string } }>()
        .selectFrom('oauth_server_clients')
        .select('metadata')
        .executeTakeFirstOrThrow();
      const digest = (JSON.parse(stored.metadata) as { client_secret: string }).client_secret;
      const basic = `Basic ${Buffer.from(`${client.client_id}:${digest}`).toString('base64')}`;
      const post = (base: string, path: string, form: Record<string, string>) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form),
        });

      const issued = await post(a.url, '/token', { grant_type: 'client_credentials', scope: 'api:read' });
      assert.equal(issued.status, 200, await issued.clone().text());
      const { access_token: token } = (await issued.json()) as { access_token: string };
      assert.ok(token.length >= 43);

      const rows = (await sql`select model, id_digest, payload from oauth_server_artifacts`.execute(fixture.store.db)).rows as Array<Record<string, string>>;
      assert.deepEqual(
        rows.map((row) => row.model),
        ['ClientCredentials'],
      );
      assert.ok(!JSON.stringify(rows).includes(token), 'the token is not stored');
      const bytes = fixture.fileBytes();
      if (bytes !== null) assert.equal(bytes.includes(Buffer.from(token)), false, 'nor anywhere in the database file');

      const active = await (await post(b.url, '/token/introspection', { token })).json();
      assert.equal((active as { active: boolean }).active, true);
      assert.equal((active as { scope: string }).scope, 'api:read');
      assert.equal((active as { client_id: string }).client_id, client.client_id);

      assert.equal((await post(b.url, '/token/revocation', { token })).status, 200);
      assert.deepEqual(await (await post(a.url, '/token/introspection', { token })).json(), { active: false });

      const published = await Promise.all([a.url, b.url].map(async (base) => (await fetch(`${base}/jwks`)).json()));
      assert.deepEqual(published[0], published[1]);
      const [key] = (published[0] as { keys: Array<Record<string, unknown>> }).keys;
      assert.equal(key?.kty, 'RSA');
      assert.equal(key?.d, undefined);
    });
  });
}
