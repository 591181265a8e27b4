import pLimit from 'p-limit';
import type { Mailer, MailMessage } from '../core/mail.js';

/** Mail tasks running at once; more would only open more SMTP connections. */
export const DEFAULT_MAIL_CONCURRENCY = 4;
/** Tasks waiting beyond this are dropped (and logged): a flood must not grow memory without bound. */
export const DEFAULT_MAIL_QUEUE_LIMIT = 1000;

/** The part of a pino logger the outbox needs. */
export interface OutboxLog {
  warn(object: object, message: string): void;
}

export interface MailOutboxOptions {
  /** Tasks running at once; default 4. */
  concurrency?: number;
  /** Most tasks queued or running; default 1000. */
  queueLimit?: number;
}

/**
 * Runs mail work after the response is sent. Whether an account exists decides whether a token
 * is stored and a mail sent; doing that in the background keeps the 202 the same, in body and in
 * timing, for known and unknown emails (OWASP Forgot Password CS, "consistent response time").
 * A failure is logged (never the message body, which holds the token) and changes nothing.
 */
export class MailOutbox {
  private readonly mailer: Mailer;
  private readonly log: OutboxLog;
  private readonly pending = new Set<Promise<void>>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly queueLimit: number;

  constructor(mailer: Mailer, log: OutboxLog, options: MailOutboxOptions = {}) {
    this.mailer = mailer;
    this.log = log;
    this.limit = pLimit(options.concurrency ?? DEFAULT_MAIL_CONCURRENCY);
    this.queueLimit = options.queueLimit ?? DEFAULT_MAIL_QUEUE_LIMIT;
  }

  /** Starts `compose` in the background and sends the mail it returns, if any. */
  enqueue(compose: () => Promise<MailMessage | null>): void {
    if (this.pending.size >= this.queueLimit) {
      this.log.warn({ queued: this.pending.size }, 'mail queue full: request dropped');
      return;
    }
    const task = this.limit(async () => {
      let message: MailMessage | null = null;
      try {
        message = await compose();
        if (message) await this.mailer.send(message);
      } catch (error) {
        const err = error as { message?: unknown; code?: unknown; responseCode?: unknown };
        this.log.warn(
          { to: message?.to, subject: message?.subject, err: { message: String(err?.message ?? error), code: err?.code, responseCode: err?.responseCode } },
          message ? 'sending mail failed' : 'preparing mail failed',
        );
      }
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves when every queued task has finished (on shutdown, and in tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
