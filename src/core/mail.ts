/** Sender address when none is configured (`MAIL_FROM`). */
export const DEFAULT_MAIL_FROM = 'no-reply@localhost';

/** One outgoing mail: a plain-text body for every client and an HTML body for the others. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Delivers mail. The product ships an SMTP implementation (`src/mail/smtp-mailer.ts`) and a
 * development one that writes to the log (`src/mail/log-mailer.ts`); a library user may pass
 * their own (an HTTP mail API, a queue).
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Releases connections; called when the app closes. */
  close?(): Promise<void>;
}

/** HTML-escapes text for the HTML bodies (the link is ours, but the email address is not). */
function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function humanDuration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

function render(to: string, subject: string, intro: string, action: string, link: string, lifetime: number, outro: string): MailMessage {
  const valid = `The link works once and expires in ${humanDuration(lifetime)}.`;
  return {
    to,
    subject,
    text: `${intro}\n\n${link}\n\n${valid}\n${outro}\n`,
    html:
      `<!doctype html><html><body><p>${escapeHTML(intro)}</p>` +
      `<p><a href="${escapeHTML(link)}">${escapeHTML(action)}</a></p>` +
      `<p>Or copy this address into your browser:<br>${escapeHTML(link)}</p>` +
      `<p>${escapeHTML(valid)} ${escapeHTML(outro)}</p></body></html>`,
  };
}

/** The password-reset mail with its link. */
export function resetPasswordMail(to: string, link: string, lifetimeSeconds: number): MailMessage {
  return render(
    to,
    'Reset your password',
    'Someone asked to reset the password of your account. To choose a new password, open this link:',
    'Choose a new password',
    link,
    lifetimeSeconds,
    'If it was not you, ignore this mail: your password stays as it is.',
  );
}

/** The email-verification mail with its link. */
export function verifyEmailMail(to: string, link: string, lifetimeSeconds: number): MailMessage {
  return render(
    to,
    'Confirm your email address',
    'Please confirm that this is your email address by opening this link:',
    'Confirm my email address',
    link,
    lifetimeSeconds,
    'If you did not create an account, ignore this mail.',
  );
}

/**
 * The notice that a way into the account was added (docs/security.md, "Recent authentication"):
 * if it was not the owner, they learn it while it can still be undone (OWASP Authentication CS,
 * "Notify users of changes"; NIST SP 800-63B §6.1.2.1 asks for a notice when an authenticator
 * is bound). `credential` names what was added, e.g. `a passkey named "Laptop"`.
 */
export function credentialAddedMail(to: string, credential: string, at: Date): MailMessage {
  const intro = `${credential[0]!.toUpperCase()}${credential.slice(1)} was added to your account on ${at.toUTCString()}.`;
  const outro =
    'If this was you, there is nothing to do. If it was not, sign in, remove it from your account page, ' +
    'and change your password: that signs out every other session.';
  return {
    to,
    subject: 'A new way to sign in was added to your account',
    text: `${intro}\n\n${outro}\n`,
    html: `<!doctype html><html><body><p>${escapeHTML(intro)}</p><p>${escapeHTML(outro)}</p></body></html>`,
  };
}
