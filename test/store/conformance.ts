import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AccessTokenRecord, Store } from '../../src/core/store.js';

/** What a conformance run needs: a fresh, migrated store and how to dispose of it. */
export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

const HOUR = 3_600_000;
let sequence = 0;
const email = (label: string) => `${label}-${++sequence}-${randomBytes(3).toString('hex')}@example.com`;
const digest = () => randomBytes(32).toString('hex');

/**
 * The contract every {@link Store} implementation must meet (SQLite and PostgreSQL run the same
 * tests): every method, uniqueness under concurrency, cascades, expiry, compare-and-set.
 */
export function storeConformance(name: string, factory: () => Promise<StoreFixture>, options: { skip?: string | false } = {}): void {
  describe(`Store conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    const now = new Date('2030-01-02T03:04:05.678Z');

    before(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    after(async () => fixture?.cleanup());

    const token = (userId: number, overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({
      digest: digest(),
      userId,
      expiresAt: new Date(now.getTime() + HOUR),
      createdAt: now,
      lastUsedAt: now,
      userAgent: 'agent/1.0',
      ip: '192.0.2.1',
      authenticatedAt: now,
      amr: ['pwd'],
      ...overrides,
    });
    const newUser = async (label = 'user') => {
      const user = await store.createUser({ email: email(label), hashedPassword: 'hash-1' }, now);
      assert.ok(user);
      return user;
    };

    test('ping answers', async () => {
      await store.ping();
    });

    test('createUser returns the user with defaults, real booleans and Dates', async () => {
      const address = email('create');
      const user = await store.createUser({ email: address, hashedPassword: 'hash-1' }, now);
      assert.ok(user);
      assert.equal(typeof user.id, 'number');
      assert.ok(Number.isInteger(user.id) && user.id > 0);
      assert.equal(user.email, address);
      assert.equal(user.hashedPassword, 'hash-1');
      assert.equal(user.isActive, true);
      assert.equal(user.isSuperuser, false);
      assert.equal(user.isVerified, false);
      assert.ok(user.createdAt instanceof Date);
      assert.equal(user.createdAt.toISOString(), now.toISOString());
      assert.equal(user.updatedAt.toISOString(), now.toISOString());
    });

    test('createUser stores explicit flags', async () => {
      const user = await store.createUser({ email: email('flags'), hashedPassword: 'h', isActive: false, isSuperuser: true, isVerified: true }, now);
      assert.ok(user);
      const found = await store.findUserById(user.id);
      assert.deepEqual({ a: found?.isActive, s: found?.isSuperuser, v: found?.isVerified }, { a: false, s: true, v: true });
    });

    test('createUser answers null for a taken email', async () => {
      const user = await newUser('taken');
      assert.equal(await store.createUser({ email: user.email, hashedPassword: 'other' }, now), null);
      assert.equal((await store.findUserByEmail(user.email))?.hashedPassword, 'hash-1');
    });

    test('20 concurrent createUser of one email make exactly one user', async () => {
      const address = email('race');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createUser({ email: address, hashedPassword: `hash-${i}` }, now)));
      const created = results.filter((r) => r !== null);
      assert.equal(created.length, 1);
      const found = await store.findUserByEmail(address);
      assert.equal(found?.id, created[0]!.id);
      assert.equal(found?.hashedPassword, created[0]!.hashedPassword);
    });

    test('findUserById and findUserByEmail find the user, or null', async () => {
      const user = await newUser('find');
      assert.deepEqual(await store.findUserById(user.id), user);
      assert.deepEqual(await store.findUserByEmail(user.email), user);
      assert.equal(await store.findUserById(2_000_000_000), null);
      assert.equal(await store.findUserByEmail(email('absent')), null);
    });

    test('updateUser applies a patch, keeps the rest and bumps updatedAt', async () => {
      const user = await newUser('update');
      const later = new Date(now.getTime() + 60_000);
      const address = email('renamed');
      const updated = await store.updateUser(user.id, { email: address, isVerified: true, isActive: false }, later);
      assert.ok(updated && updated !== 'email-taken');
      assert.equal(updated.email, address);
      assert.equal(updated.isVerified, true);
      assert.equal(updated.isActive, false);
      assert.equal(updated.isSuperuser, false);
      assert.equal(updated.hashedPassword, 'hash-1');
      assert.equal(updated.createdAt.toISOString(), now.toISOString());
      assert.equal(updated.updatedAt.toISOString(), later.toISOString());
      assert.deepEqual(await store.findUserById(user.id), updated);
    });

    test("updateUser answers 'email-taken' and changes nothing", async () => {
      const a = await newUser('a');
      const b = await newUser('b');
      assert.equal(await store.updateUser(b.id, { email: a.email, isSuperuser: true }, now), 'email-taken');
      const after = await store.findUserById(b.id);
      assert.equal(after?.email, b.email);
      assert.equal(after?.isSuperuser, false);
    });

    test('updateUser answers null for an absent user', async () => {
      assert.equal(await store.updateUser(2_000_000_000, { isActive: false }, now), null);
    });

    test('replacePasswordHash is a compare-and-set', async () => {
      const user = await newUser('cas');
      assert.equal(await store.replacePasswordHash(user.id, 'not-the-hash', 'hash-x', now), false);
      assert.equal((await store.findUserById(user.id))?.hashedPassword, 'hash-1');
      assert.equal(await store.replacePasswordHash(user.id, 'hash-1', 'hash-2', now), true);
      assert.equal((await store.findUserById(user.id))?.hashedPassword, 'hash-2');
      // The second of two racing upgrades from the same hash loses.
      assert.equal(await store.replacePasswordHash(user.id, 'hash-1', 'hash-3', now), false);
      assert.equal(await store.replacePasswordHash(2_000_000_000, 'hash-1', 'hash-3', now), false);
    });

    test('listUsers pages in id order', async () => {
      const first = await store.listUsers(0, 1000);
      for (let i = 1; i < first.length; i++) assert.ok(first[i - 1]!.id < first[i]!.id);
      assert.ok(first.length >= 5);
      const page = await store.listUsers(2, 3);
      assert.deepEqual(
        page.map((u) => u.id),
        first.slice(2, 5).map((u) => u.id),
      );
      assert.deepEqual(await store.listUsers(first.length, 10), []);
    });

    test('createToken and findSession: the token with its user, in one call', async () => {
      const user = await newUser('session');
      const record = token(user.id);
      await store.createToken(record);
      const found = await store.findSession(record.digest, now);
      assert.ok(found);
      assert.deepEqual(found.token, record);
      assert.deepEqual(found.user, user);
      assert.equal(await store.findSession(digest(), now), null);
    });

    test('findSession refuses an expired token (expiry is exclusive)', async () => {
      const user = await newUser('expired');
      const record = token(user.id, { expiresAt: new Date(now.getTime() + 1000) });
      await store.createToken(record);
      assert.ok(await store.findSession(record.digest, new Date(now.getTime() + 999)));
      assert.equal(await store.findSession(record.digest, new Date(now.getTime() + 1000)), null);
      assert.equal(await store.findSession(record.digest, new Date(now.getTime() + HOUR)), null);
    });

    test('a token with null user agent and ip round-trips', async () => {
      const user = await newUser('nulls');
      const record = token(user.id, { userAgent: null, ip: null });
      await store.createToken(record);
      assert.deepEqual((await store.findSession(record.digest, now))?.token, record);
    });

    test('touchToken records the last use', async () => {
      const user = await newUser('touch');
      const record = token(user.id);
      await store.createToken(record);
      const later = new Date(now.getTime() + 5 * 60_000);
      await store.touchToken(record.digest, later);
      const found = await store.findSession(record.digest, later);
      assert.equal(found?.token.lastUsedAt.toISOString(), later.toISOString());
      assert.equal(found?.token.createdAt.toISOString(), now.toISOString());
    });

    test('a session carries when it proved a factor and the RFC 8176 methods it proved', async () => {
      const user = await newUser('amr');
      const earlier = new Date(now.getTime() - 60_000);
      const record = token(user.id, { authenticatedAt: earlier, amr: ['pwd', 'otp'] });
      await store.createToken(record);
      const found = await store.findSession(record.digest, now);
      assert.equal(found?.token.authenticatedAt.toISOString(), earlier.toISOString());
      assert.deepEqual(found?.token.amr, ['pwd', 'otp']);
      assert.deepEqual(
        (await store.listUserTokens(user.id, now)).map((t) => t.amr),
        [['pwd', 'otp']],
      );
    });

    test('a session saved without them counts as authenticated when created, with no methods recorded', async () => {
      const user = await newUser('amr-default');
      const { authenticatedAt: _a, amr: _m, ...bare } = token(user.id);
      await store.createToken(bare);
      const found = await store.findSession(bare.digest, now);
      assert.equal(found?.token.authenticatedAt.toISOString(), now.toISOString());
      assert.equal(found?.token.amr, null);
    });

    test('reauthenticateToken moves authenticated_at of an unexpired session only', async () => {
      const user = await newUser('reauth');
      const record = token(user.id);
      const expired = token(user.id, { expiresAt: new Date(now.getTime() + 1000) });
      await store.createToken(record);
      await store.createToken(expired);
      const later = new Date(now.getTime() + 2000);
      assert.equal(await store.reauthenticateToken(record.digest, later), true);
      assert.equal(await store.reauthenticateToken(expired.digest, later), false);
      assert.equal(await store.reauthenticateToken(digest(), later), false);
      const found = await store.findSession(record.digest, later);
      assert.equal(found?.token.authenticatedAt.toISOString(), later.toISOString());
      assert.equal(found?.token.createdAt.toISOString(), now.toISOString(), 'the sign-in time stays');
      assert.deepEqual(found?.token.amr, ['pwd'], 'the sign-in methods stay');
    });

    test('deleteToken deletes one token and says whether it existed', async () => {
      const user = await newUser('logout');
      const a = token(user.id);
      const b = token(user.id);
      await store.createToken(a);
      await store.createToken(b);
      assert.equal(await store.deleteToken(a.digest), true);
      assert.equal(await store.deleteToken(a.digest), false);
      assert.equal(await store.findSession(a.digest, now), null);
      assert.ok(await store.findSession(b.digest, now));
    });

    test('deleteUserTokens deletes every token of the user but keepDigest', async () => {
      const user = await newUser('revoke');
      const other = await newUser('bystander');
      const tokens = [token(user.id), token(user.id), token(user.id)];
      const bystander = token(other.id);
      for (const t of [...tokens, bystander]) await store.createToken(t);
      assert.equal(await store.deleteUserTokens(user.id, tokens[0]!.digest), 2);
      assert.ok(await store.findSession(tokens[0]!.digest, now));
      assert.equal(await store.findSession(tokens[1]!.digest, now), null);
      assert.ok(await store.findSession(bystander.digest, now));
      assert.equal(await store.deleteUserTokens(user.id), 1);
      assert.equal(await store.findSession(tokens[0]!.digest, now), null);
      assert.equal(await store.deleteUserTokens(user.id), 0);
    });

    test('listUserTokens lists unexpired tokens of the user, newest first', async () => {
      const user = await newUser('list');
      const other = await newUser('list-other');
      const oldest = token(user.id, { createdAt: new Date(now.getTime() - 3000) });
      const middle = token(user.id, { createdAt: new Date(now.getTime() - 2000) });
      const newest = token(user.id, { createdAt: new Date(now.getTime() - 1000) });
      const expired = token(user.id, { createdAt: new Date(now.getTime() - 500), expiresAt: now });
      for (const t of [middle, newest, expired, oldest, token(other.id)]) await store.createToken(t);
      const listed = await store.listUserTokens(user.id, now);
      assert.deepEqual(
        listed.map((t) => t.digest),
        [newest.digest, middle.digest, oldest.digest],
      );
      assert.deepEqual(listed[0], newest);
    });

    test('deleteExpiredTokens purges exactly the expired tokens', async () => {
      const user = await newUser('purge');
      // Far in the future, so tokens of the other tests (expiring at now + 1h) are not counted.
      const base = new Date(now.getTime() + 1000 * HOUR);
      const gone = [token(user.id, { expiresAt: new Date(base.getTime() - 1) }), token(user.id, { expiresAt: base })];
      const kept = token(user.id, { expiresAt: new Date(base.getTime() + 1) });
      for (const t of [...gone, kept]) await store.createToken(t);
      // Every other test's token expires long before `base - 2`: purge those first, so the next
      // count is exactly ours.
      await store.deleteExpiredTokens(new Date(base.getTime() - 2));
      assert.equal(await store.deleteExpiredTokens(base), 2);
      assert.equal(await store.findSession(gone[0]!.digest, new Date(base.getTime() - 2)), null);
      assert.ok(await store.findSession(kept.digest, base));
      assert.equal(await store.deleteExpiredTokens(base), 0);
    });

    test('deleteUser removes the user and, by cascade, its tokens', async () => {
      const user = await newUser('delete');
      const record = token(user.id);
      await store.createToken(record);
      assert.equal(await store.deleteUser(user.id), true);
      assert.equal(await store.findUserById(user.id), null);
      assert.equal(await store.findSession(record.digest, now), null);
      assert.deepEqual(await store.listUserTokens(user.id, now), []);
      // The token row itself is gone, not just hidden by the join.
      assert.equal(await store.deleteToken(record.digest), false);
      assert.equal(await store.deleteUser(user.id), false);
    });

    test('linkOAuthAccount links an identity once; findOAuthAccount finds it by provider and subject', async () => {
      const user = await newUser('oauth-link');
      const subject = `sub-${digest().slice(0, 12)}`;
      const linked = await store.oauthAccounts.linkOAuthAccount(
        { userId: user.id, oauthName: 'oidc', accountId: subject, accountEmail: user.email, emailVerified: true },
        now,
      );
      assert.ok(linked);
      assert.ok(Number.isInteger(linked.id) && linked.id > 0);
      assert.deepEqual(
        { ...linked, id: 0 },
        { id: 0, userId: user.id, oauthName: 'oidc', accountId: subject, accountEmail: user.email, emailVerified: true, createdAt: now },
      );
      assert.deepEqual(await store.oauthAccounts.findOAuthAccount('oidc', subject), linked);
      // The same subject at another provider is another identity.
      assert.equal(await store.oauthAccounts.findOAuthAccount('github', subject), null);
      const other = await newUser('oauth-other');
      assert.equal(
        await store.oauthAccounts.linkOAuthAccount(
          { userId: other.id, oauthName: 'oidc', accountId: subject, accountEmail: other.email, emailVerified: true },
          now,
        ),
        null,
      );
      assert.equal((await store.oauthAccounts.findOAuthAccount('oidc', subject))?.userId, user.id);
    });

    test('10 concurrent links of one identity to different users make exactly one link', async () => {
      const users = await Promise.all(Array.from({ length: 10 }, (_, i) => newUser(`oauth-race-${i}`)));
      const subject = `race-${digest().slice(0, 12)}`;
      const results = await Promise.all(
        users.map((u) =>
          store.oauthAccounts.linkOAuthAccount({ userId: u.id, oauthName: 'oidc', accountId: subject, accountEmail: u.email, emailVerified: true }, now),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test("listOAuthAccounts lists a user's links oldest first; unlinkOAuthAccount removes only the owner's link", async () => {
      const user = await newUser('oauth-list');
      const intruder = await newUser('oauth-intruder');
      const first = await store.oauthAccounts.linkOAuthAccount(
        { userId: user.id, oauthName: 'github', accountId: digest().slice(0, 10), accountEmail: 'a@example.com', emailVerified: true },
        now,
      );
      const second = await store.oauthAccounts.linkOAuthAccount(
        { userId: user.id, oauthName: 'google', accountId: digest().slice(0, 10), accountEmail: 'b@example.com', emailVerified: true },
        now,
      );
      assert.ok(first && second);
      assert.deepEqual(
        (await store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.id),
        [first.id, second.id],
      );
      assert.deepEqual(await store.oauthAccounts.listOAuthAccounts(intruder.id), []);
      assert.equal(await store.oauthAccounts.unlinkOAuthAccount(intruder.id, first.id), 'not-found');
      assert.equal(await store.oauthAccounts.unlinkOAuthAccount(user.id, first.id, { keepLast: true }), 'unlinked');
      assert.equal(await store.oauthAccounts.unlinkOAuthAccount(user.id, first.id), 'not-found');
      assert.deepEqual(
        (await store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.id),
        [second.id],
      );
      assert.equal(await store.oauthAccounts.unlinkOAuthAccount(user.id, second.id, { keepLast: true }), 'last');
      assert.deepEqual(
        (await store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.id),
        [second.id],
      );
      assert.equal(await store.oauthAccounts.unlinkOAuthAccount(user.id, second.id), 'unlinked');
    });

    test("deleteUnverifiedOAuthAccounts removes only that user's links whose email the provider did not vouch for", async () => {
      const user = await newUser('oauth-unverified');
      const neighbour = await newUser('oauth-unverified-neighbour');
      const link = (userId: number, emailVerified: boolean) =>
        store.oauthAccounts.linkOAuthAccount(
          { userId, oauthName: 'oidc', accountId: digest().slice(0, 12), accountEmail: 'x@example.com', emailVerified },
          now,
        );
      const kept = await link(user.id, true);
      const planted = await link(user.id, false);
      const neighbours = await link(neighbour.id, false);
      assert.equal(planted?.emailVerified, false);
      assert.equal(await store.oauthAccounts.deleteUnverifiedOAuthAccounts(user.id), 1);
      assert.deepEqual(
        (await store.oauthAccounts.listOAuthAccounts(user.id)).map((a) => a.id),
        [kept!.id],
      );
      assert.deepEqual(
        (await store.oauthAccounts.listOAuthAccounts(neighbour.id)).map((a) => a.id),
        [neighbours!.id],
      );
      assert.equal(await store.oauthAccounts.deleteUnverifiedOAuthAccounts(user.id), 0);
    });

    test('concurrent unlinks with keepLast never remove the last link', async () => {
      const user = await newUser('oauth-unlink-race');
      const links = await Promise.all(
        ['a', 'b', 'c'].map((p) =>
          store.oauthAccounts.linkOAuthAccount(
            { userId: user.id, oauthName: p, accountId: digest().slice(0, 10), accountEmail: user.email, emailVerified: true },
            now,
          ),
        ),
      );
      const results = await Promise.all(links.map((link) => store.oauthAccounts.unlinkOAuthAccount(user.id, link!.id, { keepLast: true })));
      assert.deepEqual(results.sort(), ['last', 'unlinked', 'unlinked']);
      assert.equal((await store.oauthAccounts.listOAuthAccounts(user.id)).length, 1);
    });

    test('deleteUser removes its links by cascade, freeing the identity', async () => {
      const user = await newUser('oauth-cascade');
      const subject = `gone-${digest().slice(0, 12)}`;
      assert.ok(
        await store.oauthAccounts.linkOAuthAccount(
          { userId: user.id, oauthName: 'oidc', accountId: subject, accountEmail: user.email, emailVerified: true },
          now,
        ),
      );
      assert.equal(await store.deleteUser(user.id), true);
      assert.equal(await store.oauthAccounts.findOAuthAccount('oidc', subject), null);
      const next = await newUser('oauth-next');
      assert.ok(
        await store.oauthAccounts.linkOAuthAccount(
          { userId: next.id, oauthName: 'oidc', accountId: subject, accountEmail: next.email, emailVerified: true },
          now,
        ),
      );
    });
  });
}
