import type { Mailer, MailMessage } from '../core/mail.js';

/** The part of a pino logger the log mailer needs. */
export interface MailLog {
  info(object: object, message: string): void;
}

export interface LogMailerOptions {
  /**
   * Write the body (with its link, hence its token) to the log; default true. Turn it off in
   * production: logs must never hold a token (OWASP Logging CS), so only the recipient is logged.
   */
  includeBody?: boolean;
}

/**
 * Development delivery (SPEC §4: "without `SMTP_URL` it is written to the log"): the mail, link
 * included, goes to the log at `info` so a developer can follow it without a mail server.
 */
export function createLogMailer(log: MailLog, options: LogMailerOptions = {}): Mailer {
  const includeBody = options.includeBody ?? true;
  return {
    async send(message: MailMessage): Promise<void> {
      if (includeBody) log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'mail not sent (no SMTP_URL); its content follows');
      else log.info({ mail: { to: message.to, subject: message.subject } }, 'mail not sent (no SMTP_URL); content withheld from the log');
    },
  };
}
