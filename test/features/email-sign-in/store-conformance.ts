import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../../src/core/store.js';
import type { NewEmailSignIn } from '../../../src/features/email-sign-in/store.js';
import type { StoreFixture } from '../../store/conformance.js';

const MINUTE = 60_000;
const hex = () => randomBytes(32).toString('hex');

/**
 * The contract of the email sign-in table, run on SQLite and PostgreSQL alike: lookups by link
 * and by binding, tries taken atomically and never past the limit, single use, expiry, purging,
 * and the cascade on user deletion.
 */
export function emailSignInConformance(name: string, factory: () => Promise<StoreFixture>, options: { skip?: string | false } = {}): void {
  describe(`Email sign-in store conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    const now = new Date('2030-01-02T03:04:05.678Z');

    before(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    after(async () => fixture?.cleanup());

    const newUser = async () => {
      const user = await store.createUser({ email: `mail-${hex().slice(0, 12)}@example.com`, hashedPassword: 'h' }, now);
      assert.ok(user);
      return user;
    };
    const request = (overrides: Partial<NewEmailSignIn> = {}): NewEmailSignIn => ({
      userId: null,
      email: `new-${hex().slice(0, 12)}@example.com`,
      linkDigest: hex(),
      codeDigest: hex(),
      bindingDigest: hex(),
      transport: 'cookie',
      expiresAt: new Date(now.getTime() + 10 * MINUTE),
      createdAt: now,
      ...overrides,
    });

    test('a request is saved and found by its link and by its binding, every field as given', async () => {
      const user = await newUser();
      const given = request({ userId: user.id, email: user.email });
      const created = await store.emailSignIns.createEmailSignIn(given);
      assert.ok(created.id > 0);
      assert.deepEqual({ ...created, id: 0 }, { ...given, id: 0, attempts: 0, usedAt: null });
      assert.deepEqual(await store.emailSignIns.findEmailSignInByLink(given.linkDigest!), created);
      assert.deepEqual(await store.emailSignIns.findEmailSignInByBinding(given.bindingDigest), created);
      assert.equal(await store.emailSignIns.findEmailSignInByLink(hex()), null);
      assert.equal(await store.emailSignIns.findEmailSignInByBinding(hex()), null);
    });

    test('a bearer request has no link; several requests without a link coexist', async () => {
      const first = await store.emailSignIns.createEmailSignIn(request({ linkDigest: null, transport: 'bearer' }));
      const second = await store.emailSignIns.createEmailSignIn(request({ linkDigest: null, transport: 'bearer' }));
      assert.notEqual(first.id, second.id);
      assert.equal((await store.emailSignIns.findEmailSignInByBinding(first.bindingDigest))?.transport, 'bearer');
      assert.equal((await store.emailSignIns.findEmailSignInByBinding(first.bindingDigest))?.linkDigest, null);
    });

    test('tries: at most the limit, even when taken all at once; a try given back can be taken again', async () => {
      const created = await store.emailSignIns.createEmailSignIn(request());
      const taken = await Promise.all(Array.from({ length: 12 }, () => store.emailSignIns.takeEmailSignInTry(created.id, 5, now)));
      assert.equal(taken.filter(Boolean).length, 5);
      assert.equal((await store.emailSignIns.findEmailSignInByBinding(created.bindingDigest))?.attempts, 5);
      await store.emailSignIns.returnEmailSignInTry(created.id);
      assert.equal(await store.emailSignIns.takeEmailSignInTry(created.id, 5, now), true);
      assert.equal(await store.emailSignIns.takeEmailSignInTry(created.id, 5, now), false);
      const fresh = await store.emailSignIns.createEmailSignIn(request());
      await store.emailSignIns.returnEmailSignInTry(fresh.id);
      assert.equal((await store.emailSignIns.findEmailSignInByBinding(fresh.bindingDigest))?.attempts, 0, 'never below 0');
    });

    test('single use: of concurrent uses exactly one wins; a used or expired request gives no try', async () => {
      const created = await store.emailSignIns.createEmailSignIn(request());
      const uses = await Promise.all(Array.from({ length: 6 }, () => store.emailSignIns.useEmailSignIn(created.id, now)));
      assert.equal(uses.filter(Boolean).length, 1);
      const used = await store.emailSignIns.findEmailSignInByLink(created.linkDigest!);
      assert.equal(used?.usedAt?.getTime(), now.getTime());
      assert.equal(await store.emailSignIns.takeEmailSignInTry(created.id, 5, now), false);
      const expiring = await store.emailSignIns.createEmailSignIn(request());
      const at = expiring.expiresAt;
      assert.equal(await store.emailSignIns.takeEmailSignInTry(expiring.id, 5, at), false, 'expired at its expiry');
      assert.equal(await store.emailSignIns.useEmailSignIn(expiring.id, at), false);
      assert.equal(await store.emailSignIns.useEmailSignIn(expiring.id, new Date(at.getTime() - 1)), true, 'valid a millisecond before');
    });

    test('purging deletes the expired requests only; deleting the user deletes theirs', async () => {
      const later = new Date(now.getTime() + 60 * MINUTE);
      const old = await store.emailSignIns.createEmailSignIn(request({ expiresAt: new Date(later.getTime() - 1) }));
      const live = await store.emailSignIns.createEmailSignIn(request({ expiresAt: new Date(later.getTime() + MINUTE) }));
      assert.ok((await store.emailSignIns.deleteExpiredEmailSignIns(later)) >= 1);
      assert.equal(await store.emailSignIns.findEmailSignInByBinding(old.bindingDigest), null);
      assert.ok(await store.emailSignIns.findEmailSignInByBinding(live.bindingDigest));
      const user = await newUser();
      const theirs = await store.emailSignIns.createEmailSignIn(request({ userId: user.id, email: user.email }));
      assert.ok(await store.deleteUser(user.id));
      assert.equal(await store.emailSignIns.findEmailSignInByBinding(theirs.bindingDigest), null);
    });

    test('link and binding digests are unique', async () => {
      const created = await store.emailSignIns.createEmailSignIn(request());
      await assert.rejects(store.emailSignIns.createEmailSignIn(request({ bindingDigest: created.bindingDigest })));
      await assert.rejects(store.emailSignIns.createEmailSignIn(request({ linkDigest: created.linkDigest })));
    });
  });
}
