import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../../src/core/store.js';
import type { NewApiKey } from '../../../src/features/api-keys/api-key-store.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';
import type { StoreFixture } from '../../store/conformance.js';

const HOUR = 3_600_000;
const hex = () => randomBytes(32).toString('hex');

/**
 * The contract of the API key table, run on SQLite and PostgreSQL alike: digests only, live keys
 * only (revoked and expired refused), owners kept apart, conditional revocation, cascades.
 */
export function apiKeyConformance(name: string, factory: () => Promise<StoreFixture>, options: { skip?: string | false } = {}): void {
  describe(`API key store conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    const now = new Date('2030-01-02T03:04:05.678Z');

    before(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    after(async () => fixture?.cleanup());

    const newUser = async () => {
      const user = await store.createUser({ email: `keys-${hex().slice(0, 12)}@example.com`, hashedPassword: 'h' }, now);
      assert.ok(user);
      return user;
    };
    const key = (userId: number, overrides: Partial<NewApiKey> = {}): NewApiKey => ({
      userId,
      orgId: null,
      name: 'CI',
      prefix: 'fu_0a1b2c3d',
      digest: hex(),
      scopes: ['invoices:read', 'users:me'],
      expiresAt: new Date(now.getTime() + HOUR),
      createdAt: now,
      ...overrides,
    });

    test('createApiKey returns the record without its digest, with real types', async () => {
      const user = await newUser();
      const created = await store.apiKeys.createApiKey(key(user.id));
      assert.equal(typeof created.id, 'number');
      assert.deepEqual(created, {
        id: created.id,
        userId: user.id,
        orgId: null,
        name: 'CI',
        prefix: 'fu_0a1b2c3d',
        scopes: ['invoices:read', 'users:me'],
        expiresAt: new Date(now.getTime() + HOUR),
        lastUsedAt: null,
        createdAt: now,
        revoked: false,
      });
    });

    test('findApiKeySession answers a live key with its user, and null when expired, revoked or unknown', async () => {
      const user = await newUser();
      const live = key(user.id);
      await store.apiKeys.createApiKey(live);
      const found = await store.apiKeys.findApiKeySession(live.digest, now);
      assert.equal(found?.user.id, user.id);
      assert.equal(found?.user.email, user.email);
      assert.equal(found?.user.isActive, true);
      assert.deepEqual(found?.key.scopes, live.scopes);
      assert.equal(await store.apiKeys.findApiKeySession(live.digest, new Date(now.getTime() + HOUR)), null, 'expired at its expiry');
      assert.equal(await store.apiKeys.findApiKeySession(hex(), now), null);
      const forever = key(user.id, { expiresAt: null });
      await store.apiKeys.createApiKey(forever);
      assert.ok(await store.apiKeys.findApiKeySession(forever.digest, new Date(now.getTime() + 1000 * HOUR)));
      assert.equal(await store.apiKeys.revokeApiKey(live.digest), true);
      assert.equal(await store.apiKeys.revokeApiKey(live.digest), false, 'a second revocation reports nothing');
      assert.equal(await store.apiKeys.findApiKeySession(live.digest, now), null);
    });

    test('lists, counts and finds keep owners apart and leave revoked keys out', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const a1 = await store.apiKeys.createApiKey(key(alice.id, { name: 'one' }));
      const a2 = key(alice.id, { name: 'two' });
      const a2Record = await store.apiKeys.createApiKey(a2);
      const b1 = await store.apiKeys.createApiKey(key(bob.id));
      assert.deepEqual(
        (await store.apiKeys.listApiKeys({ userId: alice.id })).map((k) => k.name),
        ['one', 'two'],
      );
      assert.equal(await store.apiKeys.countApiKeys({ userId: alice.id }), 2);
      assert.equal(await store.apiKeys.findApiKeyDigest({ userId: bob.id }, a1.id), null, "another user's key is not found");
      assert.equal(await store.apiKeys.findApiKeyDigest({ userId: alice.id }, a2Record.id), a2.digest);
      assert.equal(await store.apiKeys.findApiKeyDigest({ userId: alice.id }, b1.id), null);
      await store.apiKeys.revokeApiKey(a2.digest);
      assert.deepEqual(
        (await store.apiKeys.listApiKeys({ userId: alice.id })).map((k) => k.name),
        ['one'],
      );
      assert.equal(await store.apiKeys.countApiKeys({ userId: alice.id }), 1);
      assert.equal(await store.apiKeys.findApiKeyDigest({ userId: alice.id }, a2Record.id), null);
    });

    test('touchApiKey records the last use', async () => {
      const user = await newUser();
      const k = key(user.id);
      await store.apiKeys.createApiKey(k);
      const later = new Date(now.getTime() + 60_000);
      await store.apiKeys.touchApiKey(k.digest, later);
      const [listed] = await store.apiKeys.listApiKeys({ userId: user.id });
      assert.deepEqual(listed?.lastUsedAt, later);
    });

    test('the digest is unique', async () => {
      const user = await newUser();
      const k = key(user.id);
      await store.apiKeys.createApiKey(k);
      await assert.rejects(store.apiKeys.createApiKey(key(user.id, { digest: k.digest })));
    });

    test('keys die with their user', async () => {
      const user = await newUser();
      const k = key(user.id);
      await store.apiKeys.createApiKey(k);
      assert.equal(await store.deleteUser(user.id), true);
      assert.equal(await store.apiKeys.findApiKeySession(k.digest, now), null);
      assert.equal(await store.apiKeys.countApiKeys({ userId: user.id }), 0);
    });

    test("an organization's keys die with their maker's membership, and with the organization", async () => {
      const organizations = (store as SQLStore).organizations;
      const owner = await newUser();
      const admin = await newUser();
      const org = await organizations.createOrganization({ name: 'Acme', slug: `acme-${hex().slice(0, 8)}`, requireMfa: false, ownerId: owner.id }, now);
      assert.ok(org);
      await organizations.createInvitation({
        orgId: org.id,
        email: admin.email,
        role: 'admin',
        tokenDigest: hex(),
        invitedBy: owner.id,
        expiresAt: new Date(now.getTime() + HOUR),
        createdAt: now,
      });
      const [invitation] = await organizations.listInvitations(org.id, now);
      assert.ok(invitation && (await organizations.acceptInvitation(invitation.id, admin.id, now)));
      const ownersKey = key(owner.id, { orgId: org.id });
      const adminsKey = key(admin.id, { orgId: org.id });
      const personal = key(admin.id);
      for (const k of [ownersKey, adminsKey, personal]) await store.apiKeys.createApiKey(k);
      assert.deepEqual((await store.apiKeys.listApiKeys({ orgId: org.id })).map((k) => k.userId).sort(), [owner.id, admin.id].sort());
      assert.equal(await store.apiKeys.countApiKeys({ userId: admin.id }), 1, "personal lists leave the organization's keys out");
      assert.equal(await organizations.removeMembership(org.id, admin.id), 'changed');
      assert.equal(await store.apiKeys.findApiKeySession(adminsKey.digest, now), null, 'gone with the membership');
      assert.ok(await store.apiKeys.findApiKeySession(personal.digest, now), 'a personal key stays');
      assert.ok(await store.apiKeys.findApiKeySession(ownersKey.digest, now));
      assert.equal(await organizations.deleteOrganization(org.id), true);
      assert.equal(await store.apiKeys.findApiKeySession(ownersKey.digest, now), null, 'gone with the organization');
    });

    test('an organization key needs its maker to be a member', async () => {
      const outsider = await newUser();
      const owner = await newUser();
      const org = await (store as SQLStore).organizations.createOrganization(
        { name: 'Other', slug: `other-${hex().slice(0, 8)}`, requireMfa: false, ownerId: owner.id },
        now,
      );
      assert.ok(org);
      await assert.rejects(store.apiKeys.createApiKey(key(outsider.id, { orgId: org.id })));
    });

    test('deleteDeadApiKeys purges revoked and expired keys only', async () => {
      const user = await newUser();
      const live = key(user.id, { name: 'live' });
      const expired = key(user.id, { name: 'expired', expiresAt: new Date(now.getTime() - 1) });
      const revoked = key(user.id, { name: 'revoked' });
      for (const k of [live, expired, revoked]) await store.apiKeys.createApiKey(k);
      await store.apiKeys.revokeApiKey(revoked.digest);
      assert.ok((await store.apiKeys.deleteDeadApiKeys(now)) >= 2);
      assert.deepEqual(
        (await store.apiKeys.listApiKeys({ userId: user.id })).map((k) => k.name),
        ['live'],
      );
    });
  });
}
