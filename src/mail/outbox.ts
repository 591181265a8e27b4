import pLimit from 'p-limit';
import type { Mailer, MailMessage } from '../core/mail.js';

/** Mail tasks running at once; more would only open more SMTP connections. */
export const DEFAULT_MAIL_CONCURRENCY = 4;
/** Tasks waiting beyond this are dropped (and logged): a flood must not grow memory without bound. */
export const DEFAULT_MAIL_QUEUE_LIMIT = 1000;
/** Tasks for one recipient domain beyond this are dropped (and logged): a flood aimed at one domain leaves room for the others. */
export const DEFAULT_MAIL_DOMAIN_QUEUE_LIMIT = 100;

/** The part of a pino logger the outbox needs. */
export interface OutboxLog {
  warn(object: object, message: string): void;
}

export interface MailOutboxOptions {
  /** Tasks running at once; default 4. */
  concurrency?: number;
  /** Most tasks queued or running; default 1000. */
  queueLimit?: number;
  /** Most tasks queued or running for one recipient domain; default 100. */
  domainQueueLimit?: number;
}

/** What the outbox knows of a task before it runs. */
export interface MailTask {
  /** The address the mail would go to (the email asked about): the task counts against its domain's bound. */
  to?: string;
}

/**
 * Runs mail work after the response is sent. Whether an account exists decides whether a token
 * is stored and a mail sent; doing that in the background keeps the 202 the same, in body and in
 * timing, for known and unknown emails (OWASP Forgot Password CS, "consistent response time").
 * A failure is logged (never the message body, which holds the token) and changes nothing.
 *
 * The queue is bounded as a whole and per recipient domain, so that a forgot-password flood for
 * addresses of one domain (from many client addresses, past the per-address throttle) cannot
 * fill it and drop everyone else's mail; a dropped task is logged with its domain only.
 */
export class MailOutbox {
  private readonly mailer: Mailer;
  private readonly log: OutboxLog;
  private readonly pending = new Set<Promise<void>>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly queueLimit: number;
  private readonly domainQueueLimit: number;
  /** Tasks queued or running per recipient domain. */
  private readonly perDomain = new Map<string, number>();

  constructor(mailer: Mailer, log: OutboxLog, options: MailOutboxOptions = {}) {
    this.mailer = mailer;
    this.log = log;
    this.limit = pLimit(options.concurrency ?? DEFAULT_MAIL_CONCURRENCY);
    this.queueLimit = options.queueLimit ?? DEFAULT_MAIL_QUEUE_LIMIT;
    this.domainQueueLimit = options.domainQueueLimit ?? DEFAULT_MAIL_DOMAIN_QUEUE_LIMIT;
  }

  /** Starts `compose` in the background and sends the mail it returns, if any; drops it (logged) when the queue is full. */
  enqueue(compose: () => Promise<MailMessage | null>, about: MailTask = {}): void {
    const domain = about.to === undefined ? undefined : domainOf(about.to);
    if (this.pending.size >= this.queueLimit) {
      this.log.warn({ domain, queued: this.pending.size }, 'mail queue full: request dropped');
      return;
    }
    const domainQueued = domain === undefined ? 0 : (this.perDomain.get(domain) ?? 0);
    if (domain !== undefined && domainQueued >= this.domainQueueLimit) {
      this.log.warn({ domain, queued: domainQueued }, 'mail queue full for the recipient domain: request dropped');
      return;
    }
    if (domain !== undefined) this.perDomain.set(domain, domainQueued + 1);
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
    void task.finally(() => {
      this.pending.delete(task);
      if (domain !== undefined) this.release(domain);
    });
  }

  /** Resolves when every queued task has finished (on shutdown, and in tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private release(domain: string): void {
    const left = (this.perDomain.get(domain) ?? 1) - 1;
    if (left > 0) this.perDomain.set(domain, left);
    else this.perDomain.delete(domain);
  }
}

/** The domain of an address, lower-cased (RFC 5321 §2.4: domains are case-insensitive). */
function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
