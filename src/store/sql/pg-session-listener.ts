import { createRequire } from 'node:module';
import type pg from 'pg';
import { monotonicNow, type SessionChangeSink } from '../../core/session-cache.js';
import {
  parseSessionNotice,
  SESSION_CHANNEL_HEARTBEAT_MS,
  SESSION_CHANNEL_MAX_RETRY_MS,
  SESSION_CHANNEL_RETRY_MS,
  type SessionChannel,
} from '../session-channel.js';
import { SESSION_NOTICE_CHANNEL } from './migrations.js';

/** `application_name` of the listening connection, so operators (and tests) can find it in pg_stat_activity. */
export const SESSION_LISTENER_APPLICATION_NAME = 'fastify-users-sessions';

/**
 * Session changes on PostgreSQL: a dedicated connection (not from the pool, which would hand it
 * back) LISTENs to the notices the database's triggers send at each commit (migration 0005).
 * A `select 1` heartbeat confirms the channel: the server sends pending notices before the
 * answer to a query (PostgreSQL manual, "Asynchronous Notification"), so an answer to a heartbeat
 * sent at T means every change committed before T has arrived. A lost connection is reported
 * at once and reconnected with backoff; the cache starts empty once LISTEN is back.
 */
export class PgSessionListener implements SessionChannel {
  private readonly url: string;
  private readonly heartbeatMs: number;
  private client: pg.Client | undefined;
  /** The client once its LISTEN is in place: only its heartbeats may confirm. */
  private listening: pg.Client | undefined;
  private sink: SessionChangeSink | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = SESSION_CHANNEL_RETRY_MS;
  private beating = false;
  private closed = false;

  constructor(url: string, options: { heartbeatMs?: number } = {}) {
    this.url = url;
    this.heartbeatMs = options.heartbeatMs ?? SESSION_CHANNEL_HEARTBEAT_MS;
  }

  async start(sink: SessionChangeSink): Promise<void> {
    this.sink = sink;
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The listening connection's server process id (for operators and fault tests), or `undefined` while down. */
  get backendPid(): number | undefined {
    return (this.client as { processID?: number } | undefined)?.processID;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { Client } = createRequire(import.meta.url)('pg') as typeof pg;
    const client = new Client({
      connectionString: this.url,
      application_name: SESSION_LISTENER_APPLICATION_NAME,
      keepAlive: true,
      // A heartbeat that does not come back in time means the connection is gone, silently.
      query_timeout: 2000,
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', (message) => {
      const change = message.payload === undefined ? null : parseSessionNotice(message.payload);
      // A notice we cannot read may have named anything: start over.
      if (change) this.sink?.evict(change);
      else this.sink?.lost();
    });
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    this.client = client;
    try {
      const at = monotonicNow();
      await client.connect();
      await client.query(`LISTEN ${SESSION_NOTICE_CHANNEL}`);
      if (this.client !== client) return;
      this.listening = client;
      this.retryMs = SESSION_CHANNEL_RETRY_MS;
      this.sink?.confirm(at);
    } catch {
      this.drop(client);
    }
  }

  /** The connection is gone: distrust the cache now, reconnect later. */
  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = undefined;
    this.sink?.lost();
    client.end().catch(() => {});
    if (this.closed) return;
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, SESSION_CHANNEL_MAX_RETRY_MS);
  }

  private async beat(): Promise<void> {
    const client = this.listening;
    if (!client || this.beating) return;
    this.beating = true;
    const at = monotonicNow();
    try {
      await client.query('select 1');
      if (this.listening === client) this.sink?.confirm(at);
    } catch {
      this.drop(client);
    } finally {
      this.beating = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.listening = undefined;
    this.sink = undefined;
    await client?.end().catch(() => {});
  }
}
