import type { Mailer, MailMessage } from '../core/mail.js';

/** The part of a pino logger the log mailer needs. */
export interface MailLog {
  info(object: object, message: string): void;
}

export interface LogMailerOptions {
  /**
   * Also write the text (with its link, hence its token) to the log; default false. Only for
   * development: logs must never hold a token (OWASP Logging CS), so by default only the
   * recipient and subject are logged.
   */
  includeBody?: boolean;
}

/**
 * Delivery when there is no mail server: each mail is written to the log at `info` — its
 * recipient and subject, and with `includeBody` its text, so a developer can follow the link.
 */
export function createLogMailer(log: MailLog, options: LogMailerOptions = {}): Mailer {
  const includeBody = options.includeBody ?? false;
  return {
    async send(message: MailMessage): Promise<void> {
      if (includeBody) log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'mail not sent (no SMTP_URL); its content follows');
      else log.info({ mail: { to: message.to, subject: message.subject } }, 'mail not sent (no SMTP_URL); content withheld from the log');
    },
  };
}
