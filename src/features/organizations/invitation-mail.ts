import type { MailMessage } from '../../core/mail.js';

function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The invitation mail. The organization's name and the inviter's address are the only words not
 * ours: escaped in HTML, and the link is built from configuration only (OWASP Forgot Password CS,
 * the same reasoning as reset links).
 */
export function invitationMail(to: string, about: { orgName: string; inviter: string; role: string; link: string }, lifetimeSeconds: number): MailMessage {
  const intro = `${about.inviter} invited you to join the organization "${about.orgName}" as ${about.role}.`;
  const how = 'Sign in with this email address (verified) and open this link to accept:';
  const valid = `The link works once and expires in ${Math.round(lifetimeSeconds / 86_400)} days. If you did not expect it, ignore this mail.`;
  return {
    to,
    subject: `Invitation to join ${about.orgName}`,
    text: `${intro}\n${how}\n\n${about.link}\n\n${valid}\n`,
    html:
      `<!doctype html><html><body><p>${escapeHTML(intro)}</p><p>${escapeHTML(how)}</p>` +
      `<p><a href="${escapeHTML(about.link)}">Accept the invitation</a></p>` +
      `<p>Or copy this address into your browser:<br>${escapeHTML(about.link)}</p><p>${escapeHTML(valid)}</p></body></html>`,
  };
}
