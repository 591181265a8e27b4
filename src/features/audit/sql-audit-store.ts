import type { CompiledQuery, Kysely, Selectable, Transaction } from 'kysely';
import { type AuditEvent, type AuditRecord, auditRowHash, canonicalDetail, GENESIS_HASH, type HashedAuditRow } from '../../core/audit.js';
import type { AuditEventsTable, Database, Dialect } from '../../store/sql/schema.js';
import { fromDbTime, toDbTime } from '../../store/sql/time.js';
import type { AuditQuery, AuditStore, AuditVerification } from './audit-store.js';

/** Rows read per query while verifying or exporting. */
const BATCH = 1000;

/**
 * {@link AuditStore} on SQLite and PostgreSQL. The chain's head (last id and hash) lives in a
 * one-row table, `audit_head`, and every append starts by updating that row: the update takes
 * the write lock before anything is read, so appends from any number of connections and
 * processes are serialised and each one reads the head its predecessor wrote.
 *
 * - SQLite: a write as the transaction's first statement acquires the database's RESERVED lock
 *   at once, waiting under `busy_timeout` (as BEGIN IMMEDIATE would); reading first and writing
 *   later could instead fail with SQLITE_BUSY_SNAPSHOT when another process appended meanwhile.
 * - PostgreSQL: the UPDATE takes the row lock; a concurrent append waits for it and, under READ
 *   COMMITTED, re-reads the updated row before its own update (PostgreSQL docs, "Transaction
 *   Isolation", 13.2.1), so it sees the committed head rather than the one its snapshot had.
 *
 * Ids are given by the head (last id + 1), not by a sequence, so they are consecutive and covered
 * by the hash: a deleted row leaves a gap that verify names.
 */
export class SQLAuditStore implements AuditStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  /**
   * The append's three statements, compiled once: every sign-in appends, and building the Kysely
   * queries each time cost more of the event loop than running them (as for the login's own
   * queries, docs/BENCHMARKS.md, row 15).
   */
  private readonly lockHeadQuery: CompiledQuery<{ last_id: number; last_hash: string }>;
  private readonly insertQuery: CompiledQuery;
  private readonly moveHeadQuery: CompiledQuery;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.db = db;
    this.dialect = dialect;
    this.lockHeadQuery = lockHeadSelect(db).compile();
    this.insertQuery = db
      .insertInto('audit_events')
      .values(insertRow(0, toDbTime(dialect, new Date(0)), EMPTY_ROW, ''))
      .compile();
    this.moveHeadQuery = db.updateTable('audit_head').set({ last_id: 0, last_hash: '' }).where('id', '=', 1).compile();
  }

  async append(event: AuditEvent, at: Date): Promise<AuditRecord> {
    return this.db.transaction().execute(async (trx) => this.appendIn(trx, await this.lockHead(trx), event, at));
  }

  /** Takes the chain's lock (see the class comment) and reads its head, in one statement. */
  private async lockHead(trx: Transaction<Database>): Promise<Head> {
    const head = (await trx.executeQuery(this.lockHeadQuery)).rows[0];
    if (!head) throw new Error('audit_head has no row (migration 0008)');
    return { lastId: Number(head.last_id), lastHash: head.last_hash };
  }

  /** Appends after `head` inside a transaction that holds the head's lock. */
  private async appendIn(trx: Transaction<Database>, head: Head, event: AuditEvent, at: Date): Promise<AuditRecord> {
    const row: HashedAuditRow = {
      id: head.lastId + 1,
      at,
      actorUserId: event.actorUserId,
      subjectUserId: event.subjectUserId,
      orgId: event.orgId ?? null,
      type: event.type,
      ip: event.ip,
      userAgent: event.userAgent,
      detail: canonicalDetail(event.detail),
      prevHash: head.lastHash,
    };
    const hash = auditRowHash(row);
    // The compiled statements' placeholders follow insertRow's keys, so the values come from it too.
    await trx.executeQuery({ ...this.insertQuery, parameters: Object.values(insertRow(row.id, toDbTime(this.dialect, at), row, hash)) });
    await trx.executeQuery({ ...this.moveHeadQuery, parameters: [row.id, hash, 1] });
    return { ...event, orgId: row.orgId, id: row.id, at, prevHash: row.prevHash, hash } as AuditRecord;
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    let select = this.db.selectFrom('audit_events').selectAll();
    if (query.subjectUserId !== undefined) select = select.where('subject_user_id', '=', query.subjectUserId);
    if (query.userId !== undefined) {
      const userId = query.userId;
      select = select.where((eb) => eb.or([eb('subject_user_id', '=', userId), eb('actor_user_id', '=', userId)]));
    }
    if (query.type !== undefined) select = select.where('type', '=', query.type);
    if (query.since !== undefined) select = select.where('at', '>=', toDbTime(this.dialect, query.since));
    if (query.beforeId !== undefined) select = select.where('id', '<', query.beforeId);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toRecord);
  }

  async *stream(since: Date | undefined, batchSize = BATCH): AsyncIterable<AuditRecord> {
    for await (const row of this.rows(since, batchSize)) yield toRecord(row);
  }

  /** Stored rows from `since`, oldest first, read in batches by id. */
  private async *rows(since: Date | undefined, batchSize = BATCH): AsyncIterable<Selectable<AuditEventsTable>> {
    let afterId = 0;
    for (;;) {
      let select = this.db.selectFrom('audit_events').selectAll().where('id', '>', afterId);
      if (since !== undefined) select = select.where('at', '>=', toDbTime(this.dialect, since));
      const rows = await select.orderBy('id').limit(batchSize).execute();
      yield* rows;
      if (rows.length < batchSize) return;
      afterId = Number(rows[rows.length - 1]!.id);
    }
  }

  async verify(): Promise<AuditVerification> {
    const head = await this.db.selectFrom('audit_head').select(['last_id', 'last_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    const headId = Number(head.last_id);
    let previous: { id: number; hash: string } | null = null;
    let first: HashedAuditRow | null = null;
    let count = 0;
    for await (const row of this.rows(undefined)) {
      const record = hashedRow(row);
      const broken = previous ? linkProblem(previous, record) : await this.startProblem(record);
      if (broken) return { ok: false, count, brokenId: record.id, reason: broken };
      if (auditRowHash(record) !== row.hash) {
        return { ok: false, count, brokenId: record.id, reason: 'its hash does not match its contents (the row was edited)' };
      }
      first ??= record;
      previous = { id: record.id, hash: row.hash };
      count++;
    }
    const lastId = previous?.id ?? null;
    if ((lastId ?? 0) < headId) {
      return { ok: false, count, brokenId: (lastId ?? 0) + 1, reason: `rows ${(lastId ?? 0) + 1}–${headId} are missing (the newest rows were deleted)` };
    }
    if (previous && (lastId !== headId || previous.hash !== head.last_hash)) {
      return { ok: false, count, brokenId: previous.id, reason: 'the newest row does not match the recorded head of the chain' };
    }
    return { ok: true, count, firstId: first?.id ?? null, lastId };
  }

  /**
   * Whether the oldest kept row may start the chain: the first row ever (genesis), or the row
   * right after the last one an `audit.pruned` event says it deleted, with that row's hash.
   */
  private async startProblem(record: HashedAuditRow): Promise<string | null> {
    if (record.id === 1) return record.prevHash === GENESIS_HASH ? null : 'the first row does not start from the genesis hash';
    const pruned = await this.db.selectFrom('audit_events').selectAll().where('type', '=', 'audit.pruned').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const detail = pruned ? (parseDetail(pruned.detail) as { through_id?: unknown; through_hash?: unknown } | null) : null;
    if (!detail || detail.through_id !== record.id - 1) return `rows before ${record.id} are missing and no pruning accounts for them`;
    if (detail.through_hash !== record.prevHash) return `its prev_hash is not the hash of row ${record.id - 1} as recorded when it was pruned`;
    return null;
  }

  async prune(before: Date, at: Date): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const head = await this.lockHead(trx);
      const last = await trx
        .selectFrom('audit_events')
        .select(['id', 'hash'])
        .where('at', '<', toDbTime(this.dialect, before))
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!last) return 0;
      const throughId = Number(last.id);
      const result = await trx.deleteFrom('audit_events').where('id', '<=', throughId).executeTakeFirst();
      const count = Number(result.numDeletedRows);
      await this.appendIn(
        trx,
        head,
        {
          type: 'audit.pruned',
          actorUserId: null,
          subjectUserId: null,
          ip: null,
          userAgent: null,
          detail: { before: before.toISOString(), count, through_id: throughId, through_hash: last.hash },
        },
        at,
      );
      return count;
    });
  }
}

interface Head {
  lastId: number;
  lastHash: string;
}

/** The head's lock and read: an update that changes nothing but takes the write lock, returning the head. */
function lockHeadSelect(db: Kysely<Database>) {
  return db
    .updateTable('audit_head')
    .set((eb) => ({ last_id: eb.ref('last_id') }))
    .where('id', '=', 1)
    .returning(['last_id', 'last_hash']);
}

/** The fields of a new row besides its id, time and hash. */
type RowFields = Pick<HashedAuditRow, 'actorUserId' | 'subjectUserId' | 'orgId' | 'type' | 'ip' | 'userAgent' | 'detail' | 'prevHash'>;

const EMPTY_ROW: RowFields = { actorUserId: null, subjectUserId: null, orgId: null, type: '', ip: null, userAgent: null, detail: '', prevHash: '' };

/** A new row of `audit_events`, in one fixed key order (the compiled insert's placeholders). */
function insertRow(id: number, at: ReturnType<typeof toDbTime>, row: RowFields, hash: string) {
  return {
    id,
    at,
    actor_user_id: row.actorUserId,
    subject_user_id: row.subjectUserId,
    org_id: row.orgId,
    type: row.type,
    ip: row.ip,
    user_agent: row.userAgent,
    detail: row.detail,
    prev_hash: row.prevHash,
    hash,
  };
}

/** Why `record` does not follow `previous`, or `null` when it does. */
function linkProblem(previous: { id: number; hash: string }, record: HashedAuditRow): string | null {
  if (record.id !== previous.id + 1) {
    const missing = record.id - 1 === previous.id + 1 ? `row ${previous.id + 1} is` : `rows ${previous.id + 1}–${record.id - 1} are`;
    return `${missing} missing (deleted)`;
  }
  if (record.prevHash !== previous.hash) return `its prev_hash is not the hash of row ${previous.id} (that row was replaced)`;
  return null;
}

/** A stored row as its hash sees it: `detail` exactly as stored, not re-encoded. */
function hashedRow(row: Selectable<AuditEventsTable>): HashedAuditRow {
  return {
    id: Number(row.id),
    at: fromDbTime(row.at),
    actorUserId: row.actor_user_id === null ? null : Number(row.actor_user_id),
    subjectUserId: row.subject_user_id === null ? null : Number(row.subject_user_id),
    orgId: row.org_id === null ? null : Number(row.org_id),
    type: row.type,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: row.detail,
    prevHash: row.prev_hash,
  };
}

/** A stored detail, or `null` when it is not JSON (an edited row; verify reports it by its hash). */
function parseDetail(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function toRecord(row: Selectable<AuditEventsTable>): AuditRecord {
  return {
    id: Number(row.id),
    at: fromDbTime(row.at),
    actorUserId: row.actor_user_id === null ? null : Number(row.actor_user_id),
    subjectUserId: row.subject_user_id === null ? null : Number(row.subject_user_id),
    orgId: row.org_id === null ? null : Number(row.org_id),
    type: row.type,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: parseDetail(row.detail) ?? {},
    prevHash: row.prev_hash,
    hash: row.hash,
  } as AuditRecord;
}
