import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { cli } from '../support/cli.js';
import { TEST_SECRET } from '../support/constants.js';
import { sqliteURL, tempDir } from '../support/temp.js';
import { type ProviderServer, startProviderServer } from '../features/oauth-server/harness.js';

describe('clients create | list | delete (the OAuth server’s clients, on a SQLite file)', () => {
  const dir = tempDir();
  const url = sqliteURL(dir);
  const env = { DATABASE_URL: url, SECRET_KEY: TEST_SECRET };
  let server: ProviderServer;
  before(async () => {
    // The server first: it migrates the file the commands then use, as in production.
    server = await startProviderServer({ DATABASE_URL: url });
  });
  after(async () => {
    await server?.close();
    dir.cleanup();
  });

  test('create prints the secret once; the client gets tokens from the running server; list shows it without the secret; delete ends it', async () => {
    const created = await cli(['clients', 'create', '--name', 'Nightly job', '--grant', 'client_credentials', '--scope', 'notes:read'], { env });
    assert.equal(created.code, 0, created.stderr);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    assert.match(client.client_secret, /^[A-Za-z0-9_-]{43}$/);
    const token = () =>
      fetch(`${server.issuer}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=notes%3Aread',
      });
    assert.equal((await token()).status, 200);
    const listed = await cli(['clients', 'list'], { env });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, new RegExp(`${client.client_id}  Nightly job  \\(confidential\\)`));
    assert.doesNotMatch(listed.stdout, new RegExp(client.client_secret));
    const deleted = await cli(['clients', 'delete', client.client_id], { env });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await token()).status, 401);
    assert.equal((await cli(['clients', 'delete', client.client_id], { env })).code, 1);
  });

  test('an id that starts with "-" (made before ids stopped doing so) is deleted after "--"', async () => {
    const id = '-legacy0123456789abcde';
    const db = new Database(url.slice('sqlite:'.length));
    try {
      const metadata = { client_id: id, client_name: 'Old job', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
      db.prepare('insert into oauth_server_clients (client_id, metadata, first_party, created_at) values (?, ?, 0, ?)').run(
        id,
        JSON.stringify(metadata),
        new Date().toISOString(),
      );
    } finally {
      db.close();
    }
    const asOption = await cli(['clients', 'delete', id], { env });
    assert.equal(asOption.code, 2, 'without "--" it is an unknown option');
    const deleted = await cli(['clients', 'delete', '--', id], { env });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`deleted OAuth client ${id}`));
    assert.doesNotMatch((await cli(['clients', 'list'], { env })).stdout, /Old job/);
  });

  test('registrations the provider would refuse are usage errors (exit 2)', async () => {
    for (const args of [
      ['clients', 'create'],
      ['clients', 'create', '--name', 'x', '--public', '--grant', 'client_credentials'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'https://a.example/cb#f'],
      ['clients', 'create', '--name', 'x'],
      ['clients', 'create', '--name', 'x', '--grant', 'implicit'],
      ['clients', 'remove'],
    ]) {
      assert.equal((await cli(args, { env })).code, 2, args.join(' '));
    }
  });
});
