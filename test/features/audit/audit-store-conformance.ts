import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { AuditEvent } from '../../../src/core/audit.js';
import type { SQLStore } from '../../../src/store/sql/sql-store.js';

/** A fresh, migrated SQL store of its own (tampering breaks a chain: one database per test). */
export interface AuditFixture {
  store: SQLStore;
  cleanup: () => Promise<void>;
}

const DAY = 86_400_000;

/** An event of `subject` (`failed` sign-in when `n` is odd), from a test address. */
export function sampleEvent(subject: number | null, n = 0): AuditEvent {
  return n % 2 === 1
    ? {
        type: 'sign_in.failed',
        actorUserId: null,
        subjectUserId: subject,
        ip: '192.0.2.1',
        userAgent: 'agent/1',
        detail: { method: 'password', reason: 'LOGIN_BAD_CREDENTIALS' },
      }
    : {
        type: 'sign_in.succeeded',
        actorUserId: subject,
        subjectUserId: subject,
        ip: '192.0.2.1',
        userAgent: 'agent/1',
        detail: { method: 'password', amr: ['pwd'] },
      };
}

/**
 * The audit store's contract on SQLite and PostgreSQL (docs/audit.md): a consecutive hash chain,
 * filters, verify naming the first broken row after an edit or a deletion made directly in the
 * database, pruning that keeps the chain verifiable.
 */
export function auditStoreConformance(name: string, factory: () => Promise<AuditFixture>, options: { skip?: string | false } = {}): void {
  describe(`Audit store conformance: ${name}`, { skip: options.skip }, () => {
    const fixtures: AuditFixture[] = [];
    after(async () => {
      for (const f of fixtures) await f.cleanup();
    });
    const fresh = async (events = 0, start = new Date('2030-01-01T00:00:00.000Z')) => {
      const fixture = await factory();
      fixtures.push(fixture);
      for (let i = 0; i < events; i++) await fixture.store.audit.append(sampleEvent(i % 3, i), new Date(start.getTime() + i * DAY));
      return fixture.store;
    };

    test('appends form one chain: consecutive ids, each prev_hash the previous hash, the first from the genesis hash', async () => {
      const store = await fresh();
      const first = await store.audit.append(sampleEvent(7), new Date('2030-01-01T00:00:00.000Z'));
      const second = await store.audit.append(sampleEvent(7, 1), new Date('2030-01-01T00:00:01.000Z'));
      assert.equal(first.id, 1);
      assert.equal(first.prevHash, '0'.repeat(64));
      assert.equal(second.id, 2);
      assert.equal(second.prevHash, first.hash);
      assert.match(second.hash, /^[0-9a-f]{64}$/);
      assert.deepEqual(await store.audit.verify(), { ok: true, count: 2, firstId: 1, lastId: 2 });
      const [latest] = await store.audit.list({ limit: 1 });
      assert.deepEqual(latest, second);
    });

    test('list filters by subject, by subject or actor, type, since and before, newest first', async () => {
      const store = await fresh(9);
      const mine = await store.audit.list({ subjectUserId: 1, limit: 50 });
      assert.deepEqual(
        mine.map((e) => e.id),
        [8, 5, 2],
      );
      assert.deepEqual(
        (await store.audit.list({ subjectUserId: 1, beforeId: 8, limit: 1 })).map((e) => e.id),
        [5],
      );
      assert.ok((await store.audit.list({ type: 'sign_in.failed', limit: 50 })).every((e) => e.type === 'sign_in.failed'));
      assert.deepEqual(
        (await store.audit.list({ since: new Date('2030-01-08T00:00:00.000Z'), limit: 50 })).map((e) => e.id),
        [9, 8],
      );
      // Actor too: event 3 (n = 2, succeeded) has actor 2; failed ones have no actor.
      assert.ok((await store.audit.list({ userId: 2, limit: 50 })).every((e) => e.subjectUserId === 2 || e.actorUserId === 2));
      const exported = [];
      for await (const e of store.audit.stream(new Date('2030-01-05T00:00:00.000Z'), 2)) exported.push(e.id);
      assert.deepEqual(exported, [5, 6, 7, 8, 9]);
    });

    test('verify names the row whose contents were edited in the database', async () => {
      const store = await fresh(5);
      await sql`update audit_events set ip = '203.0.113.66' where id = 3`.execute(store.db);
      const result = await store.audit.verify();
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.brokenId, 3);
      assert.match(!result.ok ? result.reason : '', /edited/);
    });

    test('verify names the row after one deleted from the middle, and the missing newest rows', async () => {
      const store = await fresh(6);
      await sql`delete from audit_events where id = 3`.execute(store.db);
      const middle = await store.audit.verify();
      assert.equal(!middle.ok && middle.brokenId, 4);
      assert.match(!middle.ok ? middle.reason : '', /row 3 is missing/);

      const tail = await fresh(6);
      await sql`delete from audit_events where id >= 5`.execute(tail.db);
      const truncated = await tail.audit.verify();
      assert.equal(!truncated.ok && truncated.brokenId, 5);
    });

    test('a row rewritten with a recomputed hash still breaks the link to the next one', async () => {
      const store = await fresh(4);
      // An attacker who recomputes row 2's hash after editing it: row 3's prev_hash no longer matches.
      await sql`update audit_events set hash = ${'f'.repeat(64)} where id = 2`.execute(store.db);
      const result = await store.audit.verify();
      assert.equal(!result.ok && result.brokenId, 2);
    });

    test('pruning deletes the oldest rows, records itself, and verify still passes from the oldest kept row', async () => {
      const store = await fresh(10);
      const pruned = await store.audit.prune(new Date('2030-01-05T00:00:00.000Z'), new Date('2030-02-01T00:00:00.000Z'));
      assert.equal(pruned, 4);
      const result = await store.audit.verify();
      assert.deepEqual(result, { ok: true, count: 7, firstId: 5, lastId: 11 });
      const [last] = await store.audit.list({ limit: 1 });
      assert.equal(last!.type, 'audit.pruned');
      assert.deepEqual({ ...last!.detail, through_hash: undefined }, { before: '2030-01-05T00:00:00.000Z', count: 4, through_id: 4, through_hash: undefined });
      assert.equal(await store.audit.prune(new Date('2030-01-05T00:00:00.000Z'), new Date('2030-02-01T00:00:00.000Z')), 0);
      // Deleting the oldest kept row, beyond what pruning recorded, is caught.
      await sql`delete from audit_events where id = 5`.execute(store.db);
      const broken = await store.audit.verify();
      assert.equal(!broken.ok && broken.brokenId, 6);
    });

    test('an empty log verifies', async () => {
      const store = await fresh();
      assert.deepEqual(await store.audit.verify(), { ok: true, count: 0, firstId: null, lastId: null });
    });
  });
}
