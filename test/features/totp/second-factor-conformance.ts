import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NewPasskey, Store } from '../../../src/core/store.js';
import type { StoreFixture } from '../../store/conformance.js';

const MINUTE = 60_000;
const hex = () => randomBytes(32).toString('hex');

/**
 * The contract of the second-factor tables (TOTP, recovery codes, passkeys, WebAuthn challenges),
 * run on SQLite and PostgreSQL alike: compare-and-set steps, single-use codes and challenges,
 * cascades on user deletion.
 */
export function secondFactorConformance(name: string, factory: () => Promise<StoreFixture>, options: { skip?: string | false } = {}): void {
  describe(`Second-factor store conformance: ${name}`, { skip: options.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    const now = new Date('2030-01-02T03:04:05.678Z');

    before(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    after(async () => fixture?.cleanup());

    const newUser = async () => {
      const user = await store.createUser({ email: `mfa-${hex().slice(0, 12)}@example.com`, hashedPassword: 'h' }, now);
      assert.ok(user);
      return user;
    };
    const passkey = (userId: number, overrides: Partial<NewPasskey> = {}): NewPasskey => ({
      userId,
      credentialId: randomBytes(16).toString('base64url'),
      publicKey: randomBytes(77).toString('base64url'),
      counter: 0,
      transports: ['internal', 'hybrid'],
      name: 'Laptop',
      createdAt: now,
      ...overrides,
    });

    test('a pending TOTP enrolment is stored, replaced while pending, and kept once confirmed', async () => {
      const user = await newUser();
      assert.equal(await store.secondFactor.findTOTP(user.id), null);
      assert.equal(await store.secondFactor.savePendingTOTP(user.id, 'cipher-1', now), true);
      assert.deepEqual(await store.secondFactor.findTOTP(user.id), {
        userId: user.id,
        encryptedSecret: 'cipher-1',
        confirmed: false,
        lastUsedStep: null,
        createdAt: now,
      });
      assert.equal(await store.secondFactor.savePendingTOTP(user.id, 'cipher-2', now), true);
      assert.equal((await store.secondFactor.findTOTP(user.id))?.encryptedSecret, 'cipher-2');
      // A plain use is refused while pending; confirming records the step.
      assert.equal(await store.secondFactor.useTOTPStep(user.id, 100), false);
      assert.equal(await store.secondFactor.useTOTPStep(user.id, 100, { confirm: true }), true);
      const confirmed = await store.secondFactor.findTOTP(user.id);
      assert.deepEqual({ c: confirmed?.confirmed, s: confirmed?.lastUsedStep }, { c: true, s: 100 });
      assert.equal(await store.secondFactor.savePendingTOTP(user.id, 'cipher-3', now), false, 'a confirmed enrolment is not overwritten');
      assert.equal((await store.secondFactor.findTOTP(user.id))?.encryptedSecret, 'cipher-2');
    });

    test('useTOTPStep accepts each step once and never an earlier one, also under concurrency', async () => {
      const user = await newUser();
      await store.secondFactor.savePendingTOTP(user.id, 'c', now);
      assert.equal(await store.secondFactor.useTOTPStep(user.id, 57_000_000, { confirm: true }), true);
      assert.equal(await store.secondFactor.useTOTPStep(user.id, 57_000_000), false, 'same step again');
      assert.equal(await store.secondFactor.useTOTPStep(user.id, 56_999_999), false, 'an earlier step');
      const results = await Promise.all(Array.from({ length: 8 }, () => store.secondFactor.useTOTPStep(user.id, 57_000_001)));
      assert.equal(results.filter(Boolean).length, 1, 'exactly one concurrent use wins');
      assert.equal((await store.secondFactor.findTOTP(user.id))?.lastUsedStep, 57_000_001);
    });

    test('replaceTOTPSecret is a compare-and-set on the ciphertext', async () => {
      const user = await newUser();
      await store.secondFactor.savePendingTOTP(user.id, 'old', now);
      assert.equal(await store.secondFactor.replaceTOTPSecret(user.id, 'other', 'new'), false);
      assert.equal(await store.secondFactor.replaceTOTPSecret(user.id, 'old', 'new'), true);
      assert.equal((await store.secondFactor.findTOTP(user.id))?.encryptedSecret, 'new');
    });

    test('recovery codes: replaced as a set, each usable once by its owner only, counted', async () => {
      const user = await newUser();
      const other = await newUser();
      const digests = Array.from({ length: 10 }, hex);
      await store.secondFactor.replaceRecoveryCodes(user.id, digests, now);
      assert.equal(await store.secondFactor.countRecoveryCodes(user.id), 10);
      assert.equal(await store.secondFactor.useRecoveryCode(other.id, digests[0]!, now), false, "another user's code");
      const results = await Promise.all([1, 2, 3].map(() => store.secondFactor.useRecoveryCode(user.id, digests[0]!, now)));
      assert.equal(results.filter(Boolean).length, 1, 'one concurrent use wins');
      assert.equal(await store.secondFactor.useRecoveryCode(user.id, digests[0]!, now), false, 'used twice');
      assert.equal(await store.secondFactor.countRecoveryCodes(user.id), 9);
      const fresh = [hex(), hex()];
      await store.secondFactor.replaceRecoveryCodes(user.id, fresh, now);
      assert.equal(await store.secondFactor.useRecoveryCode(user.id, digests[1]!, now), false, 'old set gone');
      assert.equal(await store.secondFactor.countRecoveryCodes(user.id), 2);
    });

    test('deleteTOTP removes the secret and the recovery codes', async () => {
      const user = await newUser();
      await store.secondFactor.savePendingTOTP(user.id, 'c', now);
      await store.secondFactor.replaceRecoveryCodes(user.id, [hex()], now);
      assert.equal(await store.secondFactor.deleteTOTP(user.id), true);
      assert.equal(await store.secondFactor.findTOTP(user.id), null);
      assert.equal(await store.secondFactor.countRecoveryCodes(user.id), 0);
      assert.equal(await store.secondFactor.deleteTOTP(user.id), false);
    });

    test('passkeys: created with real types, a credential id registered once, listed per user', async () => {
      const user = await newUser();
      const record = passkey(user.id, { counter: 4_000_000_000 });
      const created = await store.passkeys.createPasskey(record);
      assert.ok(created);
      assert.ok(Number.isInteger(created.id));
      assert.deepEqual({ ...created, id: 0 }, { ...record, id: 0, lastUsedAt: null });
      assert.equal(await store.passkeys.createPasskey(passkey(user.id, { credentialId: record.credentialId })), null);
      const second = await store.passkeys.createPasskey(passkey(user.id, { transports: [] }));
      assert.deepEqual(second?.transports, []);
      assert.deepEqual(
        (await store.passkeys.listPasskeys(user.id)).map((p) => p.id),
        [created.id, second!.id],
      );
      assert.deepEqual(await store.passkeys.findPasskeyByCredentialId(record.credentialId), created);
      assert.equal(await store.passkeys.findPasskeyByCredentialId('unknown'), null);
    });

    test('usePasskey is a compare-and-set on the counter and records the use', async () => {
      const user = await newUser();
      const created = (await store.passkeys.createPasskey(passkey(user.id, { counter: 5 })))!;
      const later = new Date(now.getTime() + MINUTE);
      const results = await Promise.all([6, 7].map((n) => store.passkeys.usePasskey(created.id, 5, n, later)));
      assert.equal(results.filter(Boolean).length, 1);
      const found = await store.passkeys.findPasskeyByCredentialId(created.credentialId);
      assert.ok(found && (found.counter === 6 || found.counter === 7));
      assert.equal(found.lastUsedAt?.toISOString(), later.toISOString());
    });

    test("deletePasskey deletes only the owner's", async () => {
      const user = await newUser();
      const other = await newUser();
      const created = (await store.passkeys.createPasskey(passkey(user.id)))!;
      assert.equal(await store.passkeys.deletePasskey(other.id, created.id), false);
      assert.equal(await store.passkeys.deletePasskey(user.id, created.id), true);
      assert.equal(await store.passkeys.deletePasskey(user.id, created.id), false);
      assert.deepEqual(await store.passkeys.listPasskeys(user.id), []);
    });

    test('challenges are single use, of one purpose, and refused once expired', async () => {
      const user = await newUser();
      const digest = hex();
      await store.passkeys.createChallenge({ digest, purpose: 'register', userId: user.id, expiresAt: new Date(now.getTime() + 5 * MINUTE) });
      assert.equal(await store.passkeys.consumeChallenge(digest, 'login', now), null, 'wrong purpose');
      const results = await Promise.all([1, 2, 3].map(() => store.passkeys.consumeChallenge(digest, 'register', now)));
      assert.deepEqual(results.filter(Boolean), [{ digest, purpose: 'register', userId: user.id, expiresAt: new Date(now.getTime() + 5 * MINUTE) }]);
      const expired = hex();
      await store.passkeys.createChallenge({ digest: expired, purpose: 'login', userId: null, expiresAt: now });
      assert.equal(await store.passkeys.consumeChallenge(expired, 'login', now), null);
      const stale = hex();
      await store.passkeys.createChallenge({ digest: stale, purpose: 'login', userId: null, expiresAt: new Date(now.getTime() - 1) });
      assert.ok((await store.passkeys.deleteExpiredChallenges(now)) >= 1);
      assert.equal(await store.passkeys.consumeChallenge(stale, 'login', new Date(0)), null, 'purged');
    });

    test("a user's challenges are bounded: past keepPerUser, the oldest of that purpose go and the newest stays", async () => {
      const user = await newUser();
      const other = await newUser();
      const digests: string[] = [];
      for (let i = 0; i < 5; i++) {
        const digest = hex();
        digests.push(digest);
        await store.passkeys.createChallenge({ digest, purpose: 'register', userId: user.id, expiresAt: new Date(now.getTime() + (i + 1) * MINUTE) }, 3);
      }
      const untouched = hex();
      await store.passkeys.createChallenge({ digest: untouched, purpose: 'register', userId: other.id, expiresAt: new Date(now.getTime() + MINUTE) }, 3);
      const login = hex();
      await store.passkeys.createChallenge({ digest: login, purpose: 'login', userId: null, expiresAt: new Date(now.getTime() + MINUTE) });
      const live = [];
      for (const digest of digests) live.push((await store.passkeys.consumeChallenge(digest, 'register', now)) !== null);
      assert.deepEqual(live, [false, false, true, true, true]);
      assert.ok(await store.passkeys.consumeChallenge(untouched, 'register', now), "another user's challenge stays");
      assert.ok(await store.passkeys.consumeChallenge(login, 'login', now), 'sign-in challenges are not per user');
      // Ties (one clock reading for all): the bound holds and the one just saved survives.
      const tied: string[] = [];
      for (let i = 0; i < 4; i++) {
        const digest = hex();
        tied.push(digest);
        await store.passkeys.createChallenge({ digest, purpose: 'register', userId: user.id, expiresAt: new Date(now.getTime() + MINUTE) }, 3);
      }
      const survivors = [];
      for (const digest of tied) survivors.push((await store.passkeys.consumeChallenge(digest, 'register', now)) !== null);
      assert.equal(survivors.filter(Boolean).length, 3);
      assert.equal(survivors[3], true);
    });

    test('deleting a user deletes its TOTP secret, recovery codes, passkeys and challenges', async () => {
      const user = await newUser();
      await store.secondFactor.savePendingTOTP(user.id, 'c', now);
      const codes = [hex()];
      await store.secondFactor.replaceRecoveryCodes(user.id, codes, now);
      const created = (await store.passkeys.createPasskey(passkey(user.id)))!;
      const digest = hex();
      await store.passkeys.createChallenge({ digest, purpose: 'register', userId: user.id, expiresAt: new Date(now.getTime() + MINUTE) });
      assert.equal(await store.deleteUser(user.id), true);
      assert.equal(await store.secondFactor.findTOTP(user.id), null);
      assert.equal(await store.secondFactor.countRecoveryCodes(user.id), 0);
      assert.equal(await store.passkeys.findPasskeyByCredentialId(created.credentialId), null);
      assert.equal(await store.passkeys.consumeChallenge(digest, 'register', now), null);
    });
  });
}
