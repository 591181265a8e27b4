/** Helpers of the email sign-in tests: ask for a mail, read its link and code, send them back. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { tokenFromMail, type ReceivedMail } from '../../support/mail.js';
import { parseSetCookies } from '../../support/cookies.js';

export const LINK_PATH = '/#/email-sign-in?token=';
export const BINDING_COOKIE = 'token_email';

/** The cookies a response set (none cleared), as a `cookies` object for the next request. */
export function cookiesOf(response: LightMyRequestResponse, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const { name, value } of parseSetCookies(response)) {
    if (value === '') delete out[name];
    else out[name] = value;
  }
  return out;
}

/** `POST /login/email` as a browser: the answer and the browser's cookies after it. */
export async function askByEmail(app: FastifyInstance, email: string, cookies: Record<string, string> = {}) {
  const response = await app.inject({ method: 'POST', url: '/login/email', payload: { email }, cookies });
  return { response, cookies: cookiesOf(response, cookies) };
}

/** The code and the link token of a sign-in mail. */
export function readSignInMail(mail: ReceivedMail): { code: string; token: string | null } {
  const code = /code(?: there)?: (\d{6})/.exec(mail.decoded)?.[1];
  if (!code) throw new Error(`no code in the mail:\n${mail.decoded}`);
  return { code, token: mail.decoded.includes(LINK_PATH) ? tokenFromMail(mail, LINK_PATH).token : null };
}

export function verify(app: FastifyInstance, payload: Record<string, string>, cookies: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/login/email/verify', payload, cookies });
}

/** A code that is not `code`. */
export function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}
