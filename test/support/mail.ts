import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** A mail as received by the test SMTP server, with its quoted-printable body decoded. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** The raw message with soft line breaks and `=XX` escapes undone (enough to find links). */
  decoded: string;
}

export interface TestSMTPServer {
  /** `smtp://127.0.0.1:<port>` for `createSMTPMailer`. */
  url: string;
  messages: ReceivedMail[];
  /** Fails the next `n` deliveries with a 550 (to test that a failed send changes nothing). */
  rejectNext(n: number): void;
  close(): Promise<void>;
}

function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A real SMTP server on 127.0.0.1, a random port, no TLS, any (or no) login; it keeps what it receives. */
export async function startSMTPServer(): Promise<TestSMTPServer> {
  const messages: ReceivedMail[] = [];
  let rejections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (rejections > 0) {
          rejections -= 1;
          const error = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          decoded: decodeQuotedPrintable(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejectNext: (n) => {
      rejections = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token in the first link of a mail that matches `path` (e.g. `/#/reset-password?token=`). */
export function tokenFromMail(mail: ReceivedMail, path: string): { link: string; token: string } {
  const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`(https?://[^\\s"<>]*?${escaped})([A-Za-z0-9_-]{43})`).exec(mail.decoded);
  if (!match) throw new Error(`no link with ${path} in the mail:\n${mail.decoded}`);
  return { link: match[1]! + match[2]!, token: match[2]! };
}
