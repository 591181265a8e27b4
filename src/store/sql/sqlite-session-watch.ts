import type BetterSqlite3 from 'better-sqlite3';
import { monotonicNow, type SessionChange, type SessionChangeSink } from '../../core/session-cache.js';
import { SESSION_CHANNEL_HEARTBEAT_MS, type SessionChannel } from '../session-channel.js';
import { openSqliteReader } from './database.js';
import { loadSqlite } from './sqlite-driver.js';

/**
 * Rows of the change log older than this are purged with expired tokens. A watcher that has not
 * read the log for half of it (a suspended process) starts over with an empty cache.
 */
export const SESSION_LOG_RETENTION_MS = 10 * 60_000;

/**
 * Session changes on a SQLite file, made by any connection: this process, a second server, the
 * CLI. `PRAGMA data_version` on a connection of its own changes exactly when another connection
 * committed (SQLite manual, "PRAGMA data_version"); only then is the change log of migration 0005
 * read, from the last row seen. Polling costs one pragma per period; the cache trusts a poll for
 * its lease, so a stalled poll stops the cache rather than the notices.
 */
export class SQLiteSessionWatch implements SessionChannel {
  private readonly path: string;
  private readonly intervalMs: number;
  private connection: BetterSqlite3.Database | undefined;
  private dataVersion: BetterSqlite3.Statement<[], number> | undefined;
  private newRows: BetterSqlite3.Statement<[number], { id: number; user_id: number | null; token: string | null }> | undefined;
  private sink: SessionChangeSink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastVersion = -1;
  private lastRow = 0;
  private lastPoll = 0;

  constructor(path: string, options: { intervalMs?: number } = {}) {
    this.path = path;
    this.intervalMs = options.intervalMs ?? SESSION_CHANNEL_HEARTBEAT_MS;
  }

  async start(sink: SessionChangeSink): Promise<void> {
    this.sink = sink;
    await loadSqlite('databaseUrl');
    this.connection = openSqliteReader(this.path);
    this.dataVersion = this.connection.prepare<[], number>('pragma data_version').pluck();
    this.newRows = this.connection.prepare('select id, user_id, token from session_invalidations where id > ? order by id');
    this.lastRow = (this.connection.prepare('select max(id) from session_invalidations').pluck().get() as number | null) ?? 0;
    this.lastVersion = this.dataVersion.get()!;
    this.lastPoll = monotonicNow();
    sink.confirm(this.lastPoll);
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads what changed since the last poll and confirms; public so tests need not wait for the timer. */
  poll(): void {
    if (!this.sink || !this.connection) return;
    const at = monotonicNow();
    try {
      if (at - this.lastPoll > SESSION_LOG_RETENTION_MS / 2) this.sink.lost();
      const version = this.dataVersion!.get()!;
      if (version !== this.lastVersion) {
        const digests: string[] = [];
        const userIds: number[] = [];
        for (const row of this.newRows!.all(this.lastRow)) {
          if (row.token !== null) digests.push(row.token);
          if (row.user_id !== null) userIds.push(row.user_id);
          this.lastRow = row.id;
        }
        if (digests.length > 0 || userIds.length > 0) this.sink.evict({ digests, userIds } satisfies SessionChange);
        this.lastVersion = version;
      }
      this.lastPoll = at;
      this.sink.confirm(at);
    } catch {
      // A busy or unreadable file: the lease runs out and requests read the database meanwhile.
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.connection?.close();
    this.connection = undefined;
    this.sink = undefined;
  }
}
