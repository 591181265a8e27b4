import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import { OAuthClientStore } from '../../../src/features/oauth-server/client-store.js';
import { newClientId } from '../../../src/features/oauth-server/clients.js';
import { createSQLAdapterFactory } from '../../../src/features/oauth-server/sql-adapter.js';
import { TEST_SECRET } from '../../support/constants.js';
import { postgres } from '../../support/services.js';
import { type StorageFixture, storageBackends } from './store-fixtures.js';

const pg = postgres();
const START = new Date('2031-03-01T12:00:00.000Z');
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

for (const backend of storageBackends(pg)) {
  describe(`OAuth server clients on ${backend.name}`, { skip: backend.skip }, () => {
    const fixtures: StorageFixture[] = [];
    after(async () => {
      for (const fixture of fixtures) await fixture.cleanup();
    });
    const fresh = async () => {
      const fixture = await backend.open();
      fixtures.push(fixture);
      const { store } = fixture;
      return {
        fixture,
        store,
        clients: new OAuthClientStore(store.db, store.dialect, { now: () => START }),
        adapter: createSQLAdapterFactory(store.db, store.dialect, { secretKeys: [TEST_SECRET], now: () => START }),
      };
    };
    const confidential = {
      client_name: 'Notes',
      redirect_uris: ['https://notes.example/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid email offline_access',
    };

    test('a confidential client gets a 256-bit secret, returned once and stored as its SHA-256 only', async () => {
      const { fixture, store, clients, adapter } = await fresh();
      const created = await clients.create({ ...confidential, first_party: true });
      assert.match(created.client_id, /^[A-Za-z0-9_-]{22}$/);
      assert.match(created.client_secret!, /^[A-Za-z0-9_-]{43}$/, '32 bytes of base64url');
      assert.equal(created.client_secret_expires_at, 0);
      assert.equal(created.client_id_issued_at, Math.floor(START.getTime() / 1000));
      assert.equal(created.first_party, true);
      assert.equal(created.client_name, 'Notes');
      assert.deepEqual(created.redirect_uris, confidential.redirect_uris);

      const rows = (await sql`select * from oauth_server_clients`.execute(store.db)).rows as Record<string, unknown>[];
      const raw = JSON.stringify(rows);
      assert.ok(!raw.includes(created.client_secret!), 'no secret in the table');
      assert.ok(raw.includes(sha256(created.client_secret!)), 'its digest is');
      const bytes = fixture.fileBytes();
      if (bytes !== null) assert.equal(bytes.includes(Buffer.from(created.client_secret!)), false, 'nor in the database file');

      // The engine finds the client with the digest as its secret, and first_party.
      const seen = await adapter('Client').find(created.client_id);
      assert.equal(seen?.client_secret, sha256(created.client_secret!));
      assert.equal(seen?.first_party, true);
      assert.deepEqual(seen?.grant_types, confidential.grant_types);

      // Listed and found without the secret or its digest.
      const [listed] = await clients.list();
      assert.equal(listed?.client_id, created.client_id);
      assert.equal('client_secret' in listed!, false);
      assert.equal(JSON.stringify(listed).includes(sha256(created.client_secret!)), false);
      assert.deepEqual(await clients.find(created.client_id), listed);
      assert.equal(await clients.find('unknown'), null);
    });

    test('a public client has no secret; the client_id and client_secret given are ignored', async () => {
      const { clients, adapter } = await fresh();
      const created = await clients.create({
        client_name: 'CLI',
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        client_id: 'chosen',
        client_secret: 'chosen-secret',
      });
      assert.notEqual(created.client_id, 'chosen');
      assert.equal(created.client_secret, undefined);
      assert.equal(created.first_party, false);
      const seen = (await adapter('Client').find(created.client_id)) as AdapterPayload;
      assert.equal(seen.client_secret, undefined);
      assert.equal(seen.token_endpoint_auth_method, 'none');
      assert.equal(await clients.find('chosen'), null);
    });

    test('list is oldest first; two clients never share an id or a secret', async () => {
      const { clients } = await fresh();
      const a = await clients.create(confidential);
      const b = await clients.create(confidential);
      assert.notEqual(a.client_id, b.client_id);
      assert.notEqual(a.client_secret, b.client_secret);
      assert.deepEqual((await clients.list()).map((c) => c.client_id).sort(), [a.client_id, b.client_id].sort());
    });

    test('deleting a client deletes every code, token and grant issued to it, and nothing of another client', async () => {
      const { store, clients, adapter } = await fresh();
      const user = (await store.createUser({ email: 'u@example.com', hashedPassword: 'x' }, START))!;
      const doomed = await clients.create(confidential);
      const kept = await clients.create(confidential);
      const issue = async (clientId: string, id: string) => {
        await adapter('RefreshToken').upsert(id, { jti: id, kind: 'RefreshToken', accountId: String(user.id), clientId, grantId: `g-${clientId}` }, 600);
        await adapter('Grant').upsert(`grant-${id}`, { jti: `grant-${id}`, kind: 'Grant', accountId: String(user.id), clientId }, 600);
      };
      await issue(doomed.client_id, 'doomed-refresh-token');
      await issue(kept.client_id, 'kept-refresh-token');

      assert.equal(await clients.delete(doomed.client_id), true);
      assert.equal(await clients.delete(doomed.client_id), false);
      assert.equal(await adapter('Client').find(doomed.client_id), undefined);
      assert.equal(await adapter('RefreshToken').find('doomed-refresh-token'), undefined);
      assert.equal(await adapter('Grant').find('grant-doomed-refresh-token'), undefined);
      assert.ok(await adapter('RefreshToken').find('kept-refresh-token'));
      assert.ok(await adapter('Grant').find('grant-kept-refresh-token'));
      assert.deepEqual(
        (await clients.list()).map((c) => c.client_id),
        [kept.client_id],
      );
    });
  });
}

describe('client ids', () => {
  test('never start with "-" (read as an option by a command line), and are 22 base64url characters', () => {
    // One plain draw in 64 starts with "-": 2,000 ids without one would happen by chance once in ~10^13.
    const ids = Array.from({ length: 2000 }, () => newClientId());
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    assert.equal(new Set(ids).size, ids.length);
    // "_" is still a first character: only "-" is drawn again.
    assert.ok(ids.some((id) => id.startsWith('_')));
  });
});
