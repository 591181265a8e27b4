import { DEFAULT_MAIL_FROM, type Mailer, type MailMessage } from '../core/mail.js';
import { importOptional } from '../optional-packages.js';

export { DEFAULT_MAIL_FROM };

export interface SMTPMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (nodemailer's connection URL); `SMTP_URL` (docs/configuration.md). */
  url: string;
  /** The `From` address; default `no-reply@localhost`. */
  from?: string;
}

/**
 * Sends mail over SMTP with nodemailer (a connection per mail; add `?pool=true` to the URL to pool),
 * plain text plus HTML. nodemailer is an optional peer dependency, imported here: when it is not
 * installed this rejects with a ConfigError naming it (on `SMTP_URL`, where the server takes the
 * URL from), before any mail is queued.
 */
export async function createSMTPMailer(options: SMTPMailerOptions): Promise<Mailer> {
  const nodemailer = (await importOptional('nodemailer', 'SMTP_URL', 'smtp://', () => import('nodemailer'))).default;
  const transport = nodemailer.createTransport(options.url);
  const from = options.from ?? DEFAULT_MAIL_FROM;
  return {
    async send(message: MailMessage): Promise<void> {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}
