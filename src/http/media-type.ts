import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { AuthError } from '../core/errors.js';

/** The media types our routes read: JSON bodies, and HTML/OAuth2 forms. */
export type BodyMediaType = 'application/json' | 'application/x-www-form-urlencoded';

/**
 * A preValidation hook that refuses a body of another media type with 415 (SPEC §5 "wrong content
 * type 415"). Without it, Fastify parses any registered type into an object and a JSON body would
 * pass as an OAuth2 form — RFC 6749 §4.3.2 requires `application/x-www-form-urlencoded` at the
 * token endpoint. A request with no body (no `Content-Type`) falls through to validation: 422.
 */
export function requireMediaType(expected: BodyMediaType): preValidationAsyncHookHandler {
  return async function checkMediaType(request: FastifyRequest): Promise<void> {
    const header = request.headers['content-type'];
    if (header === undefined) return;
    const type = header.split(';')[0]!.trim().toLowerCase();
    if (type !== expected) throw new AuthError('UNSUPPORTED_MEDIA_TYPE', `Unsupported content type: send ${expected}`);
  };
}
