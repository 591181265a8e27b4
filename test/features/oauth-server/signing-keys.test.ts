import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import { ConfigError } from '../../../src/core/errors.js';
import { publicJwks, type SigningJWK, SigningKeys } from '../../../src/features/oauth-server/signing-keys.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';
import { TEST_SECRET } from '../../support/constants.js';
import { postgres } from '../../support/services.js';
import { type StorageFixture, storageBackends } from './store-fixtures.js';

const pg = postgres();
const OTHER_SECRET = 'another-secret-key-of-at-least-32-characters';
const START = new Date('2031-03-01T12:00:00.000Z');

/** Signs with the private JWK and verifies with the published one: the pair belongs together. */
function signsAndVerifies(privateJwk: SigningJWK, publishedJwk: SigningJWK): boolean {
  const data = Buffer.from('header.payload');
  const signature = sign('sha256', data, createPrivateKey({ key: privateJwk, format: 'jwk' }));
  return verify('sha256', data, createPublicKey({ key: publishedJwk, format: 'jwk' }), signature);
}

for (const backend of storageBackends(pg)) {
  describe(`OAuth server signing keys on ${backend.name}`, { skip: backend.skip }, () => {
    const fixtures: StorageFixture[] = [];
    after(async () => {
      for (const fixture of fixtures) await fixture.cleanup();
    });
    let clock = START;
    const keysOn = (store: SQLStore, secretKeys = [TEST_SECRET]) => new SigningKeys(store.db, store.dialect, { secretKeys, now: () => clock });
    const fresh = async () => {
      clock = START;
      const fixture = await backend.open();
      fixtures.push(fixture);
      return { fixture, store: fixture.store, keys: keysOn(fixture.store) };
    };
    const rawKeys = async (store: SQLStore) => (await sql`select * from oauth_server_keys`.execute(store.db)).rows as Record<string, unknown>[];

    test('the first start creates one RS256 key, sealed at rest; the next start and other instances load the same key', async () => {
      const { fixture, store, keys } = await fresh();
      const jwks = await keys.load();
      assert.equal(jwks.keys.length, 1);
      const [key] = jwks.keys as [SigningJWK];
      assert.equal(key.kty, 'RSA');
      assert.equal(key.alg, 'RS256');
      assert.equal(key.use, 'sig');
      assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(key.n!, 'base64url').length, 256, '2048-bit modulus');
      assert.ok(key.d && key.p && key.q, 'the engine gets the private members');

      const rows = await rawKeys(store);
      assert.equal(rows.length, 1);
      const sealed = String(rows[0]!.sealed_jwk);
      assert.match(sealed, /^v1\./);
      assert.ok(!sealed.includes('"d"') && !sealed.includes(key.d!) && !sealed.includes(key.n!), 'no key material in the row');
      const bytes = fixture.fileBytes();
      if (bytes !== null) {
        assert.ok(bytes.includes(Buffer.from(key.kid)), 'the file was read');
        assert.equal(bytes.includes(Buffer.from(key.d!)), false, 'the private exponent is not in the database file');
      }

      assert.deepEqual(await keys.load(), jwks, 'a restart loads the same key');
      const other = keysOn(await fixture.another());
      assert.deepEqual(await other.load(), jwks, 'another instance signs with the same key');
      assert.equal((await rawKeys(store)).length, 1);
    });

    test('instances starting together on an empty table end up with one key between them', async () => {
      const { fixture, keys } = await fresh();
      const others = [keysOn(await fixture.another()), keysOn(await fixture.another())];
      const loaded = await Promise.all([keys.load(), ...others.map((k) => k.load())]);
      const kids = new Set(loaded.map((jwks) => jwks.keys.map((k) => k.kid).join()));
      assert.equal(kids.size, 1, `every instance has the same keys (${[...kids].join(' | ')})`);
      assert.equal(loaded[0]!.keys.length, 1);
    });

    test('the public set has no private member, and verifies what the private key signed', async () => {
      const { keys } = await fresh();
      const jwks = await keys.load();
      const published = publicJwks(jwks);
      const [key] = published.keys as [SigningJWK];
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.ok(signsAndVerifies(jwks.keys[0]!, key));
      assert.ok(jwks.keys[0]!.d, 'the set given is left as it was');
    });

    test('rotate adds a new current key and the old ones stay published, newest first; prune deletes the retired ones', async () => {
      const { store, keys } = await fresh();
      const first = (await keys.load()).keys[0]!.kid;
      clock = new Date(START.getTime() + 1000);
      const second = await keys.rotate();
      assert.notEqual(second, first);
      assert.deepEqual(
        (await keys.load()).keys.map((k) => k.kid),
        [second, first],
      );
      clock = new Date(START.getTime() + 2000);
      const third = await keys.rotate();
      const jwks = await keys.load();
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        [third, second, first],
      );
      assert.deepEqual(
        (await keys.list()).map((k) => [k.kid, k.retiredAt?.toISOString() ?? null]),
        [
          [third, null],
          [second, new Date(START.getTime() + 2000).toISOString()],
          [first, new Date(START.getTime() + 1000).toISOString()],
        ],
      );
      // A token signed before the rotation still verifies against the published set.
      const oldKey = jwks.keys.find((k) => k.kid === first)!;
      assert.ok(signsAndVerifies(oldKey, publicJwks(jwks).keys.find((k) => k.kid === first)!));

      assert.deepEqual(await keys.prune(), [first, second].sort());
      assert.deepEqual(
        (await keys.load()).keys.map((k) => k.kid),
        [third],
      );
      assert.deepEqual(await keys.prune(), []);
      assert.equal((await rawKeys(store)).length, 1);
    });

    test('a wrong SECRET_KEY fails clearly, naming the key; rotating with it adds nothing', async () => {
      const { store, keys } = await fresh();
      const { kid } = (await keys.load()).keys[0]!;
      const wrong = keysOn(store, [OTHER_SECRET]);
      await assert.rejects(
        () => wrong.load(),
        (error: unknown) => error instanceof ConfigError && error.key === 'secretKey' && error.message.includes(kid) && error.message.includes('SECRET_KEY'),
      );
      await assert.rejects(() => wrong.rotate(), ConfigError);
      assert.equal((await rawKeys(store)).length, 1);
    });

    test('a key sealed under an older SECRET_KEY opens through the fallbacks and is sealed again under the new one', async () => {
      const { store, keys } = await fresh();
      const jwks = await keys.load();
      const before = String((await rawKeys(store))[0]!.sealed_jwk);
      assert.deepEqual(await keysOn(store, [OTHER_SECRET, TEST_SECRET]).load(), jwks);
      assert.notEqual(String((await rawKeys(store))[0]!.sealed_jwk), before);
      assert.deepEqual(await keysOn(store, [OTHER_SECRET]).load(), jwks, 'the new key alone opens it now');
    });

    test('a sealed key copied under another kid does not open', async () => {
      const { store, keys } = await fresh();
      const { kid } = (await keys.load()).keys[0]!;
      await sql`insert into oauth_server_keys (kid, sealed_jwk, created_at, retired_at) select ${'copied'}, sealed_jwk, created_at, created_at from oauth_server_keys where kid = ${kid}`.execute(
        store.db,
      );
      await assert.rejects(() => keys.load(), /copied/);
    });
  });
}
