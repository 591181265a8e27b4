import type { FastifyRequest } from 'fastify';
import { kSessionChange } from './request-state.js';

// The session a route opened or ended, so the CSRF cookie rotates with it (OWASP CSRF Prevention
// CS, "signed double submit" bound to the session).

/** Records that this request opened a session (its token's digest): the CSRF cookie rotates to it. */
export function recordSessionOpened(request: FastifyRequest, digest: string): void {
  request[kSessionChange] = digest;
}

/** Records that this request ended the caller's session: the CSRF cookie rotates to "no session". */
export function recordSessionEnded(request: FastifyRequest): void {
  request[kSessionChange] = null;
}

/** The session this request opened or ended: a digest, `null` (ended), or `undefined` (unchanged). */
export function sessionChangeOf(request: FastifyRequest): string | null | undefined {
  return request[kSessionChange];
}
