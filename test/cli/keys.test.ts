import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createSQLAdapterFactory } from '../../src/features/oauth-server/sql-adapter.js';
import { SigningKeys } from '../../src/features/oauth-server/signing-keys.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { cli } from '../support/cli.js';
import { TEST_SECRET } from '../support/constants.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { postgres } from '../support/services.js';
import { sqliteURL, tempDir } from '../support/temp.js';

const pg = postgres();
const OTHER_SECRET = 'another-secret-key-of-at-least-32-characters';

/** What a server on `url` would load: the keys' ids, current first. */
async function kidsOn(url: string): Promise<string[]> {
  const store = await SQLStore.open(url);
  try {
    return (await new SigningKeys(store.db, store.dialect, { secretKeys: [TEST_SECRET] }).load()).keys.map((key) => key.kid);
  } finally {
    await store.close();
  }
}

function keysCommands(name: string, database: () => Promise<{ url: string; drop: () => Promise<void> }>, skip: string | false = false) {
  describe(`keys rotate | prune | list on ${name}`, { skip }, () => {
    const drops: Array<() => Promise<void>> = [];
    after(async () => {
      for (const drop of drops) await drop();
    });
    const fresh = async () => {
      const made = await database();
      drops.push(made.drop);
      return { url: made.url, env: { DATABASE_URL: made.url, SECRET_KEY: TEST_SECRET } };
    };

    test('rotate adds a current key while the first stays published; prune deletes the retired one', async () => {
      const { url, env } = await fresh();
      const [first] = await kidsOn(url);
      const rotated = await cli(['keys', 'rotate'], { env });
      assert.equal(rotated.code, 0, rotated.stderr);
      const [second, ...older] = await kidsOn(url);
      assert.deepEqual(older, [first]);
      assert.match(rotated.stdout, new RegExp(`new signing key ${second} is current; 1 older key\\(s\\) stay published until "keys prune"`));

      const listed = await cli(['keys', 'list'], { env: { DATABASE_URL: url } });
      assert.equal(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0]!, new RegExp(`^${second} .* current$`));
      assert.match(lines[1]!, new RegExp(`^${first} .* retired \\d{4}-`));

      const pruned = await cli(['keys', 'prune'], { env: { DATABASE_URL: url } });
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.equal(pruned.stdout, `pruned 1 retired signing key(s): ${first}\n`);
      assert.deepEqual(await kidsOn(url), [second]);
      assert.equal((await cli(['keys', 'prune'], { env })).stdout, 'pruned 0 retired signing key(s)\n');
    });

    test('rotate with another SECRET_KEY, or none, fails naming SECRET_KEY and adds no key', async () => {
      const { url, env } = await fresh();
      const before = await kidsOn(url);
      const wrong = await cli(['keys', 'rotate'], { env: { ...env, SECRET_KEY: OTHER_SECRET } });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^configuration error: SECRET_KEY: does not open the stored OAuth server signing key/);
      const none = await cli(['keys', 'rotate'], { env: { DATABASE_URL: url } });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^configuration error: SECRET_KEY: must be set/);
      assert.deepEqual(await kidsOn(url), before);
      // With the old key as a fallback, the rotation goes through and the new key opens with the new SECRET_KEY.
      const moved = await cli(['keys', 'rotate'], { env: { ...env, SECRET_KEY: OTHER_SECRET, SECRET_KEY_FALLBACKS: TEST_SECRET } });
      assert.equal(moved.code, 0, moved.stderr);
    });

    test('rotate on a database without keys makes the first one; a bad action is a usage error', async () => {
      const { url, env } = await fresh();
      const run = await cli(['keys', 'rotate'], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /0 older key\(s\)/);
      assert.equal((await kidsOn(url)).length, 1);
      for (const args of [['keys'], ['keys', 'spin'], ['keys', 'prune', 'extra']]) {
        const bad = await cli(args, { env });
        assert.equal(bad.code, 2, args.join(' '));
        assert.match(bad.stderr, /keys takes one of rotate, prune, list/);
      }
    });

    test("purge-expired also deletes the OAuth server's expired rows", async () => {
      const { url, env } = await fresh();
      const store = await SQLStore.open(url);
      try {
        const adapter = createSQLAdapterFactory(store.db, store.dialect, { secretKeys: [TEST_SECRET], now: () => new Date(Date.now() - 3_600_000) });
        await adapter('AccessToken').upsert('expired-token-value', { jti: 'expired-token-value', kind: 'AccessToken' }, 60);
        await adapter('AccessToken').upsert('living-token-value', { jti: 'living-token-value', kind: 'AccessToken' }, 86_400);
        const run = await cli(['purge-expired'], { env });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /purged 1 expired OAuth server code\(s\), token\(s\) and session\(s\)/);
        const left = await sql<{ n: number }>`select count(*) as n from oauth_server_artifacts`.execute(store.db);
        assert.equal(Number(left.rows[0]!.n), 1);
      } finally {
        await store.close();
      }
    });

    test('purge-expired deletes revoked and expired API keys, and only those', async () => {
      const { url, env } = await fresh();
      const store = await SQLStore.open(url);
      try {
        const user = (await store.createUser({ email: 'keys-purge@example.com', hashedPassword: 'x' }, new Date()))!;
        const key = (name: string, expiresAt: Date | null) =>
          store.apiKeys.createApiKey({
            userId: user.id,
            orgId: null,
            name,
            prefix: `fu_${name}`,
            digest: `digest-${name}`,
            scopes: [],
            expiresAt,
            createdAt: new Date(),
          });
        await key('live', new Date(Date.now() + 86_400_000));
        await key('expired', new Date(Date.now() - 1000));
        await key('revoked', null);
        assert.ok(await store.apiKeys.revokeApiKey('digest-revoked'));
        const run = await cli(['purge-expired'], { env });
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /purged 2 revoked or expired API key\(s\)/);
        assert.deepEqual(
          (await store.apiKeys.listApiKeys({ userId: user.id })).map((k) => k.name),
          ['live'],
        );
      } finally {
        await store.close();
      }
    });
  });
}

keysCommands('a SQLite file', async () => {
  const dir = tempDir();
  return { url: sqliteURL(dir), drop: async () => dir.cleanup() };
});

keysCommands(
  'PostgreSQL',
  async () => {
    const database: FreshDatabase = await freshDatabase(pg.value!, 'keyscli', { migrated: true });
    return { url: database.url, drop: database.drop };
  },
  pg.skip,
);
