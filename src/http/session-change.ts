import type { FastifyRequest } from 'fastify';

/**
 * Internal request slot: set by a route that opened a session (its token digest) or ended one
 * (`null`), so the CSRF cookie rotates with the session (OWASP CSRF Prevention CS, "signed double
 * submit" bound to the session). A symbol, so it never collides with a host app's decorators and
 * stays out of the public request type's names.
 */
export const kSessionChange: unique symbol = Symbol('fastify-users.sessionChange');

declare module 'fastify' {
  interface FastifyRequest {
    [kSessionChange]: string | null | undefined;
  }
}

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
