import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { AdapterPayload } from 'oidc-provider';
import { createSQLAdapterFactory, type SQLAdapterFactory } from '../../../src/features/oauth-server/sql-adapter.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';
import { TEST_SECRET } from '../../support/constants.js';
import { postgres } from '../../support/services.js';
import { type StorageFixture, storageBackends } from './store-fixtures.js';

const pg = postgres();
const START = new Date('2031-03-01T12:00:00.000Z');
const epoch = (date: Date) => Math.floor(date.getTime() / 1000);
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
/** An id as the engine makes them: random, 43 characters of base64url (256 bits). */
const newId = () => randomBytes(32).toString('base64url');

/** A payload of `model` as the engine saves it (`jti` is the id, `kind` the model). */
function payloadOf(model: string, id: string, extra: Record<string, unknown> = {}): AdapterPayload {
  return { jti: id, kind: model, iat: epoch(START), exp: epoch(START) + 600, ...extra } as AdapterPayload;
}

/** One payload per model the engine stores, with the fields that give the row its columns. */
function everyModel(userId: string, grantId: string): Array<[string, Record<string, unknown>]> {
  return [
    ['AccessToken', { accountId: userId, clientId: 'app', grantId, scope: 'openid email', sessionUid: 'su1', expiresWithSession: false, extra: {} }],
    [
      'AuthorizationCode',
      {
        accountId: userId,
        clientId: 'app',
        grantId,
        scope: 'openid',
        redirectUri: 'https://app.example/cb',
        codeChallenge: 'x'.repeat(43),
        codeChallengeMethod: 'S256',
        nonce: 'n-1',
      },
    ],
    ['RefreshToken', { accountId: userId, clientId: 'app', grantId, scope: 'openid offline_access', rotations: 0, iiat: epoch(START) }],
    ['ClientCredentials', { clientId: 'service', scope: 'api:read', extra: {} }],
    ['Grant', { accountId: userId, clientId: 'app', openid: { scope: 'openid email' } }],
    [
      'Session',
      { uid: `uid-${randomBytes(4).toString('hex')}`, accountId: userId, loginTs: epoch(START), amr: ['pwd'], authorizations: { app: { sid: 's1', grantId } } },
    ],
    [
      'Interaction',
      { returnTo: 'https://id.example/oauth2/auth/x', prompt: { name: 'login', reasons: [], details: {} }, params: { client_id: 'app', scope: 'openid' } },
    ],
    ['ReplayDetection', { iss: 'app' }],
    ['PushedAuthorizationRequest', { request: 'eyJhbGciOiJub25lIn0.e30.', dpopJkt: undefined }],
    ['RegistrationAccessToken', { clientId: 'app', policies: [] }],
    ['InitialAccessToken', { policies: [] }],
    ['BackchannelAuthenticationRequest', { accountId: userId, clientId: 'app', grantId, scope: 'openid' }],
  ];
}

/** The JSON the engine would read back (undefined members dropped, as JSON drops them). */
const asJSON = (value: unknown) => JSON.parse(JSON.stringify(value));

for (const backend of storageBackends(pg)) {
  describe(`OAuth server adapter on ${backend.name}`, { skip: backend.skip }, () => {
    const fixtures: StorageFixture[] = [];
    after(async () => {
      for (const fixture of fixtures) await fixture.cleanup();
    });
    let clock = START;
    const adapterOn = (store: SQLStore, secretKeys = [TEST_SECRET]) => createSQLAdapterFactory(store.db, store.dialect, { secretKeys, now: () => clock });
    const fresh = async () => {
      clock = START;
      const fixture = await backend.open();
      fixtures.push(fixture);
      const user = await fixture.store.createUser({ email: `u${fixtures.length}@example.com`, hashedPassword: 'x' }, START);
      const other = await fixture.store.createUser({ email: `o${fixtures.length}@example.com`, hashedPassword: 'x' }, START);
      return { fixture, store: fixture.store, adapter: adapterOn(fixture.store), userId: user!.id, otherId: other!.id };
    };
    const rawArtifacts = async (store: SQLStore) => (await sql`select * from oauth_server_artifacts`.execute(store.db)).rows as Record<string, unknown>[];

    test('each model round-trips: find gives back the payload with its jti; another id or another model finds nothing', async () => {
      const { adapter, userId } = await fresh();
      const saved: Array<[string, string, AdapterPayload]> = [];
      for (const [model, extra] of everyModel(String(userId), 'grant-1')) {
        const id = newId();
        const payload = payloadOf(model, id, extra);
        await adapter(model).upsert(id, payload, 600);
        saved.push([model, id, payload]);
      }
      for (const [model, id, payload] of saved) {
        assert.deepEqual(await adapter(model).find(id), asJSON(payload), model);
        assert.equal(await adapter(model).find(newId()), undefined, `${model}: an unknown id`);
      }
      // One id under two models is two rows: a refresh token's value does not find an access token.
      const [, accessId] = saved[0]!;
      assert.equal(await adapter('RefreshToken').find(accessId), undefined);
    });

    test('upsert replaces the payload of the same id', async () => {
      const { adapter, userId } = await fresh();
      const id = newId();
      await adapter('Grant').upsert(id, payloadOf('Grant', id, { accountId: String(userId), clientId: 'app', openid: { scope: 'openid' } }), 600);
      await adapter('Grant').upsert(id, payloadOf('Grant', id, { accountId: String(userId), clientId: 'app', openid: { scope: 'openid email' } }), 600);
      assert.deepEqual((await adapter('Grant').find(id))?.openid, { scope: 'openid email' });
    });

    test('only digests at rest: no id, jti, user code or session cookie in the rows or in the database file', async () => {
      const { fixture, store, adapter, userId } = await fresh();
      const ids: string[] = [];
      for (const [model, extra] of everyModel(String(userId), 'grant-1')) {
        const id = newId();
        ids.push(id);
        await adapter(model).upsert(id, payloadOf(model, id, extra), 600);
      }
      const deviceCode = newId();
      const userCode = 'WDJBMJHT';
      await adapter('DeviceCode').upsert(
        deviceCode,
        payloadOf('DeviceCode', deviceCode, { userCode, clientId: 'tv', params: { client_id: 'tv', scope: 'openid' } }),
        600,
      );
      const sessionCookie = newId();
      const interaction = newId();
      await adapter('Interaction').upsert(
        interaction,
        payloadOf('Interaction', interaction, { session: { accountId: String(userId), uid: 'su1', cookie: sessionCookie }, params: { client_id: 'app' } }),
        600,
      );
      const secrets = [...ids, deviceCode, userCode, sessionCookie, interaction];

      const rows = await rawArtifacts(store);
      assert.equal(rows.length, secrets.length - 2);
      const dump = JSON.stringify(rows);
      for (const secret of secrets) assert.ok(!dump.includes(secret), `a stored row holds ${secret}`);
      for (const row of rows) {
        assert.match(String(row.id_digest), /^[0-9a-f]{64}$/);
        assert.equal(JSON.parse(String(row.payload)).jti, undefined);
      }
      assert.ok(rows.some((row) => row.id_digest === sha256(ids[0]!)));
      assert.ok(rows.some((row) => row.user_code_digest === sha256(userCode)));
      // The interaction keeps who and which session, not the session's cookie.
      assert.deepEqual((await adapter('Interaction').find(interaction))?.session, { accountId: String(userId), uid: 'su1' });

      const bytes = fixture.fileBytes();
      if (bytes !== null) {
        assert.ok(bytes.includes(Buffer.from(sha256(ids[0]!))), 'the file was read (the digest is in it)');
        for (const secret of secrets) assert.equal(bytes.includes(Buffer.from(secret)), false, `the database file holds ${secret}`);
      }
    });

    test('consume marks a code spent once; saving an older copy again does not revive it', async () => {
      const { adapter, userId } = await fresh();
      const id = newId();
      const payload = payloadOf('AuthorizationCode', id, { accountId: String(userId), clientId: 'app', grantId: 'g' });
      await adapter('AuthorizationCode').upsert(id, payload, 60);
      assert.equal((await adapter('AuthorizationCode').find(id))?.consumed, undefined);
      await adapter('AuthorizationCode').consume(id);
      const consumed = (await adapter('AuthorizationCode').find(id))?.consumed;
      assert.equal(consumed, epoch(START));
      clock = new Date(START.getTime() + 5000);
      await adapter('AuthorizationCode').consume(id);
      await adapter('AuthorizationCode').upsert(id, payload, 60);
      assert.equal((await adapter('AuthorizationCode').find(id))?.consumed, consumed, 'still spent, at the first time');
    });

    test('revokeByGrantId deletes the grant-bound rows of that grant only, not the grant itself', async () => {
      const { adapter, userId } = await fresh();
      const account = String(userId);
      const mine = { access: newId(), refresh: newId(), code: newId() };
      const theirs = newId();
      const grant = newId();
      await adapter('AccessToken').upsert(mine.access, payloadOf('AccessToken', mine.access, { accountId: account, clientId: 'app', grantId: 'g1' }), 600);
      await adapter('RefreshToken').upsert(mine.refresh, payloadOf('RefreshToken', mine.refresh, { accountId: account, clientId: 'app', grantId: 'g1' }), 600);
      await adapter('AuthorizationCode').upsert(
        mine.code,
        payloadOf('AuthorizationCode', mine.code, { accountId: account, clientId: 'app', grantId: 'g1' }),
        60,
      );
      await adapter('RefreshToken').upsert(theirs, payloadOf('RefreshToken', theirs, { accountId: account, clientId: 'app', grantId: 'g2' }), 600);
      await adapter('Grant').upsert(grant, payloadOf('Grant', grant, { accountId: account, clientId: 'app' }), 600);

      await adapter('RefreshToken').revokeByGrantId('g1');
      assert.equal(await adapter('AccessToken').find(mine.access), undefined);
      assert.equal(await adapter('RefreshToken').find(mine.refresh), undefined);
      assert.equal(await adapter('AuthorizationCode').find(mine.code), undefined);
      assert.ok(await adapter('RefreshToken').find(theirs));
      assert.ok(await adapter('Grant').find(grant));
    });

    test('a device code: found by its user code with its id, approved under that id, found by id after', async () => {
      const { adapter, userId } = await fresh();
      const deviceCode = newId();
      const userCode = 'BDWP-HQPK'.replace('-', '');
      const pending = payloadOf('DeviceCode', deviceCode, { userCode, clientId: 'tv', params: { client_id: 'tv', scope: 'openid' } });
      await adapter('DeviceCode').upsert(deviceCode, pending, 600);

      const found = await adapter('DeviceCode').findByUserCode(userCode);
      assert.equal(found?.jti, deviceCode);
      assert.equal(found?.userCode, userCode);
      assert.equal(await adapter('DeviceCode').findByUserCode('BDWPHQPX'), undefined);
      assert.equal(await adapter('DeviceCode').findByUserCode(userCode.toLowerCase()), undefined);

      // The user approves: the engine saves the found code under its jti.
      await adapter('DeviceCode').upsert(found!.jti!, { ...found!, accountId: String(userId), grantId: 'g9' }, 600);
      const polled = await adapter('DeviceCode').find(deviceCode);
      assert.equal(polled?.accountId, String(userId));
      assert.equal(polled?.userCode, undefined, 'found by id, the user code is not known');
      // Saved again from that copy (no user code), it is still found by its user code.
      await adapter('DeviceCode').upsert(deviceCode, { ...polled!, inFlight: true }, 600);
      assert.equal((await adapter('DeviceCode').findByUserCode(userCode))?.inFlight, true);
    });

    test('a device code sealed under another SECRET_KEY is not found by its user code (it could not be approved)', async () => {
      const { store, adapter } = await fresh();
      const deviceCode = newId();
      await adapter('DeviceCode').upsert(deviceCode, payloadOf('DeviceCode', deviceCode, { userCode: 'KKKKLLLL', clientId: 'tv' }), 600);
      const rotated = adapterOn(store, ['another-secret-key-of-at-least-32-characters']);
      assert.equal(await rotated('DeviceCode').findByUserCode('KKKKLLLL'), undefined);
      // With the old key as a fallback it opens.
      const withFallback = adapterOn(store, ['another-secret-key-of-at-least-32-characters', TEST_SECRET]);
      assert.equal((await withFallback('DeviceCode').findByUserCode('KKKKLLLL'))?.jti, deviceCode);
    });

    test('a session is found by its uid (without its cookie value)', async () => {
      const { adapter, userId } = await fresh();
      const id = newId();
      await adapter('Session').upsert(id, payloadOf('Session', id, { uid: 'uid-42', accountId: String(userId) }), 600);
      const found = await adapter('Session').findByUid('uid-42');
      assert.equal(found?.accountId, String(userId));
      assert.equal(found?.jti, undefined);
      assert.equal(await adapter('Session').findByUid('uid-43'), undefined);
      // A new identifier for the same session: the old row is destroyed first, then the uid moves.
      const renewed = newId();
      await adapter('Session').destroy(id);
      await adapter('Session').upsert(renewed, payloadOf('Session', renewed, { uid: 'uid-42', accountId: String(userId) }), 600);
      assert.equal((await adapter('Session').find(renewed))?.uid, 'uid-42');
      assert.equal(await adapter('Session').find(id), undefined);
    });

    test('expired rows are not found by any lookup, and the purge deletes them only', async () => {
      const { store, adapter, userId } = await fresh();
      const token = newId();
      const device = newId();
      const session = newId();
      const lasting = newId();
      await adapter('AccessToken').upsert(token, payloadOf('AccessToken', token, { accountId: String(userId) }), 60);
      await adapter('DeviceCode').upsert(device, payloadOf('DeviceCode', device, { userCode: 'ABCDEFGH' }), 60);
      await adapter('Session').upsert(session, payloadOf('Session', session, { uid: 'u-exp' }), 60);
      await adapter('RefreshToken').upsert(lasting, payloadOf('RefreshToken', lasting, { accountId: String(userId) }), 3600);
      clock = new Date(START.getTime() + 59_000);
      assert.ok(await adapter('AccessToken').find(token));
      clock = new Date(START.getTime() + 60_000);
      assert.equal(await adapter('AccessToken').find(token), undefined);
      assert.equal(await adapter('DeviceCode').findByUserCode('ABCDEFGH'), undefined);
      assert.equal(await adapter('Session').findByUid('u-exp'), undefined);
      assert.ok(await adapter('RefreshToken').find(lasting));
      assert.equal(await adapter.purgeExpired(), 3);
      assert.equal((await rawArtifacts(store)).length, 1);
      assert.equal(await adapter.purgeExpired(), 0);
    });

    test("revokeUserGrants deletes every row of that user and no one else's; deleting the user does too", async () => {
      const { store, adapter, userId, otherId } = await fresh();
      for (const [model, extra] of everyModel(String(userId), 'g-user')) {
        const id = newId();
        await adapter(model).upsert(id, payloadOf(model, id, extra), 600);
      }
      const interaction = newId();
      await adapter('Interaction').upsert(interaction, payloadOf('Interaction', interaction, { result: { login: { accountId: String(userId) } } }), 600);
      const kept = newId();
      await adapter('RefreshToken').upsert(kept, payloadOf('RefreshToken', kept, { accountId: String(otherId), clientId: 'app', grantId: 'g-other' }), 600);
      const owned = (await rawArtifacts(store)).filter((row) => Number(row.user_id) === userId).length;
      // Access, code, refresh, grant, session, backchannel request and the signed-in interaction.
      assert.equal(owned, 7);

      assert.equal(await adapter.revokeUserGrants(userId), owned);
      assert.equal(await adapter.revokeUserGrants(userId), 0);
      assert.ok(await adapter('RefreshToken').find(kept));

      const another = newId();
      await adapter('RefreshToken').upsert(another, payloadOf('RefreshToken', another, { accountId: String(otherId) }), 600);
      assert.equal(await store.deleteUser(otherId), true);
      assert.equal(await adapter('RefreshToken').find(kept), undefined, 'the user deleted, the rows cascade');
      assert.equal(await adapter('RefreshToken').find(another), undefined);
    });

    test("an account id that is not one of our users' owns nothing (and does not fail the write)", async () => {
      const { store, adapter } = await fresh();
      const id = newId();
      await adapter('AccessToken').upsert(id, payloadOf('AccessToken', id, { accountId: '999999' }), 600);
      assert.equal((await adapter('AccessToken').find(id))?.accountId, '999999');
      assert.equal((await rawArtifacts(store))[0]?.user_id, null);
    });

    test('connected apps: listUserGrants names each client and its scopes; revokeUserClientGrants forgets one app', async () => {
      const { store, adapter, userId } = await fresh();
      await adapter('Client').upsert('app', { client_id: 'app', client_name: 'Notes', redirect_uris: ['https://app.example/cb'] } as AdapterPayload, 0);
      const account = String(userId);
      const g1 = newId();
      const g2 = newId();
      const refresh = newId();
      await adapter('Grant').upsert(
        g1,
        payloadOf('Grant', g1, {
          accountId: account,
          clientId: 'app',
          openid: { scope: 'openid email' },
          resources: { 'https://api.example': 'api:read email' },
        }),
        600,
      );
      clock = new Date(START.getTime() + 1000);
      await adapter('Grant').upsert(g2, payloadOf('Grant', g2, { accountId: account, clientId: 'cli', openid: { scope: 'openid' } }), 600);
      await adapter('RefreshToken').upsert(refresh, payloadOf('RefreshToken', refresh, { accountId: account, clientId: 'app', grantId: g1 }), 600);

      assert.deepEqual(await adapter.listUserGrants(userId), [
        { clientId: 'app', clientName: 'Notes', scopes: ['openid', 'email', 'api:read'], createdAt: START },
        { clientId: 'cli', clientName: null, scopes: ['openid'], createdAt: clock },
      ]);
      // What the resource server asks per request: this user's grant for this client, and nothing else.
      assert.equal(await adapter.hasUserGrant(userId, 'app'), true);
      assert.equal(await adapter.hasUserGrant(userId, 'cli'), true);
      assert.equal(await adapter.hasUserGrant(userId, 'other'), false);
      assert.equal(await adapter.hasUserGrant(userId + 1000, 'app'), false);
      assert.equal(await adapter.revokeUserClientGrants(userId, 'app'), 2);
      assert.equal(await adapter.hasUserGrant(userId, 'app'), false);
      assert.equal(await adapter('RefreshToken').find(refresh), undefined);
      assert.deepEqual(
        (await adapter.listUserGrants(userId)).map((g) => g.clientId),
        ['cli'],
      );
      assert.equal((await rawArtifacts(store)).length, 1);
      // An expired grant is no grant.
      clock = new Date(START.getTime() + 601_000);
      assert.equal(await adapter.hasUserGrant(userId, 'cli'), false);
    });

    test('userGrantLapse says until when a grant stands; every deletion of a grant names its user to onGrantsEnded', async () => {
      const { fixture, store, userId, otherId } = await fresh();
      const ended: number[][] = [];
      const adapter = createSQLAdapterFactory(store.db, store.dialect, {
        secretKeys: [TEST_SECRET],
        now: () => clock,
        onGrantsEnded: (ids) => ended.push(ids),
      });
      const grant = async (accountId: number, clientId: string, ttl: number) => {
        const id = newId();
        await adapter('Grant').upsert(id, payloadOf('Grant', id, { accountId: String(accountId), clientId, openid: { scope: 'openid' } }), ttl);
        return id;
      };
      const g1 = await grant(userId, 'app', 600);
      await grant(userId, 'app', 900);
      assert.equal(await adapter.userGrantLapse(userId, 'app'), START.getTime() + 900_000, 'the latest of two');
      assert.equal(await adapter.userGrantLapse(userId, 'cli'), null);
      // The engine destroys a grant (a refresh token presented twice): its user is named.
      await adapter('Grant').destroy(g1);
      assert.deepEqual(ended.splice(0), [[userId]]);
      // Destroying something else than a grant names nobody.
      const token = newId();
      await adapter('AccessToken').upsert(token, payloadOf('AccessToken', token, { accountId: String(userId), clientId: 'app' }), 600);
      await adapter('AccessToken').destroy(token);
      assert.deepEqual(ended.splice(0), [[]]);
      assert.equal(await adapter.revokeUserClientGrants(userId, 'app'), 1);
      assert.deepEqual(ended.splice(0), [[userId]]);
      await grant(userId, 'cli', 600);
      await grant(otherId, 'cli', 600);
      await adapter('Client').upsert('cli', { client_id: 'cli', redirect_uris: ['https://cli.example/cb'] } as AdapterPayload, 0);
      await adapter('Client').destroy('cli');
      assert.deepEqual(ended.splice(0).flat().sort(), [userId, otherId].sort());
      await grant(userId, 'app', 600);
      assert.equal(await adapter.revokeUserGrants(userId), 1);
      assert.deepEqual(ended.splice(0), [[userId]]);
      void fixture;
    });

    test('clients: the engine finds them; one it registers keeps only a digest of its secret; destroying one deletes what it was issued', async () => {
      const { store, adapter, userId } = await fresh();
      const secret = newId();
      await adapter('Client').upsert('dyn', { client_id: 'dyn', client_secret: secret, redirect_uris: ['https://dyn.example/cb'] } as AdapterPayload, 0);
      const found = await adapter('Client').find('dyn');
      assert.equal(found?.client_secret, sha256(secret));
      assert.equal(found?.first_party, false);
      assert.deepEqual(found?.redirect_uris, ['https://dyn.example/cb']);
      const raw = JSON.stringify((await sql`select * from oauth_server_clients`.execute(store.db)).rows);
      assert.ok(!raw.includes(secret));
      assert.equal(await adapter('Client').find('nope'), undefined);

      const token = newId();
      await adapter('RefreshToken').upsert(token, payloadOf('RefreshToken', token, { accountId: String(userId), clientId: 'dyn', grantId: 'gd' }), 600);
      await adapter('Client').destroy('dyn');
      assert.equal(await adapter('Client').find('dyn'), undefined);
      assert.equal(await adapter('RefreshToken').find(token), undefined);
    });

    test("two instances on one database see each other's writes at once", async () => {
      const { fixture, adapter: a, userId } = await fresh();
      const b = adapterOn(await fixture.another());
      const code = newId();
      const refresh = newId();
      await a('AuthorizationCode').upsert(code, payloadOf('AuthorizationCode', code, { accountId: String(userId), clientId: 'app', grantId: 'g' }), 60);
      await a('RefreshToken').upsert(refresh, payloadOf('RefreshToken', refresh, { accountId: String(userId), clientId: 'app', grantId: 'g' }), 600);
      assert.equal((await b('AuthorizationCode').find(code))?.accountId, String(userId));
      await b('AuthorizationCode').consume(code);
      assert.ok((await a('AuthorizationCode').find(code))?.consumed, 'spent on B, spent on A');
      await b('RefreshToken').revokeByGrantId('g');
      assert.equal(await a('RefreshToken').find(refresh), undefined);
      const other = newId();
      await b('RefreshToken').upsert(other, payloadOf('RefreshToken', other, { accountId: String(userId) }), 600);
      assert.equal(await (a as SQLAdapterFactory).revokeUserGrants(userId), 1);
      assert.equal(await b('RefreshToken').find(other), undefined);
    });
  });
}
