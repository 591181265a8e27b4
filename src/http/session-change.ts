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

/** Records that this request opened (`digest`) or ended (`null`) the caller's session. */
export function markSessionChange(request: FastifyRequest, digest: string | null): void {
  request[kSessionChange] = digest;
}

/** The session this request opened or ended: a digest, `null` (ended), or `undefined` (unchanged). */
export function sessionChangeOf(request: FastifyRequest): string | null | undefined {
  return request[kSessionChange];
}
