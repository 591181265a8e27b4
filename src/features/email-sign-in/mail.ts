import type { MailMessage } from '../../core/mail.js';

/** HTML-escapes text for the HTML body. */
function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The sign-in mail: the link (for the browser that asked; none for an API client) and the 6-digit
 * code, both single use and short-lived. It says where each works, so a reader who did not ask
 * knows to ignore it (OWASP Authentication CS, "Notify users").
 */
export function emailSignInMail(to: string, content: { link: string | null; code: string; lifetimeSeconds: number }): MailMessage {
  const minutes = Math.round(content.lifetimeSeconds / 60);
  const intro = content.link
    ? 'Someone asked to sign in to your account. To sign in, open this link in the browser where you asked:'
    : 'Someone asked to sign in to your account. To sign in, enter this code in the application where you asked:';
  const codeLine = content.link ? `Or enter this code there: ${content.code}` : `Your code: ${content.code}`;
  const valid = `The ${content.link ? 'link and the code work' : 'code works'} once, for ${minutes} minutes.`;
  const outro = 'If it was not you, ignore this mail: nobody can sign in with it from another browser.';
  const text = content.link ? `${intro}\n\n${content.link}\n\n${codeLine}\n\n${valid}\n${outro}\n` : `${intro}\n\n${codeLine}\n\n${valid}\n${outro}\n`;
  const linkHTML = content.link ? `<p><a href="${escapeHTML(content.link)}">Sign in</a></p><p>${escapeHTML(content.link)}</p>` : '';
  return {
    to,
    subject: `Your sign-in code: ${content.code}`,
    text,
    html:
      `<!doctype html><html><body><p>${escapeHTML(intro)}</p>${linkHTML}` +
      `<p>${escapeHTML(codeLine)}</p><p>${escapeHTML(valid)} ${escapeHTML(outro)}</p></body></html>`,
  };
}
