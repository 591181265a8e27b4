import nodemailer from 'nodemailer';
import { DEFAULT_MAIL_FROM, type Mailer, type MailMessage } from '../core/mail.js';

export { DEFAULT_MAIL_FROM };

export interface SMTPMailerOptions {
  /** `smtp://user:pass@host:port` or `smtps://…` (nodemailer's connection URL); SPEC §2 `SMTP_URL`. */
  url: string;
  /** The `From` address; default `no-reply@localhost`. */
  from?: string;
}

/** Sends mail over SMTP with nodemailer (a connection per mail; add `?pool=true` to the URL to pool), plain text plus HTML. */
export function createSMTPMailer(options: SMTPMailerOptions): Mailer {
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
