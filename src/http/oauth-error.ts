import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthError, ErrorCode } from '../core/errors.js';
import { handleError } from './reply-error.js';

/** The RFC 6749 §5.2 error codes the token endpoint answers with. */
export const OAUTH_ERROR_CODES = ['invalid_request', 'invalid_grant', 'unsupported_grant_type'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** The one grant type `/token` supports (RFC 6749 §4.3, resource owner password credentials). */
const PASSWORD_GRANT = 'password';

/** Failures of the request itself: "missing a required parameter, … or is otherwise malformed". */
const INVALID_REQUEST_CODES: ReadonlySet<ErrorCode> = new Set([
  'VALIDATION_ERROR',
  'MALFORMED_BODY',
  'FORBIDDEN_KEY',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);

const UNSUPPORTED_GRANT_DESCRIPTION = `The only grant_type supported is ${PASSWORD_GRANT}`;

/** RFC 6749 §5.2: `error_description` holds only %x20-21 / %x23-5B / %x5D-7E. */
const NOT_DESCRIPTION_CHARACTERS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;

/**
 * The RFC 6749 §5.2 code for a token-endpoint failure, or undefined when the RFC has none for it
 * (429 and 5xx: a client reads the HTTP status and `Retry-After`).
 *
 * - bad credentials (unknown email, wrong password, inactive user alike, a wrong `otp`) → `invalid_grant`: "the
 *   provided authorization grant (… resource owner credentials) is invalid";
 * - a `grant_type` other than `password` → `unsupported_grant_type`;
 * - any other schema or body failure (a missing field, a repeated one, a JSON body) → `invalid_request`.
 */
export function oauthErrorOf(error: AuthError, body: unknown): OAuthErrorCode | undefined {
  // A wrong one-time code is a wrong credential of the grant too (docs/two-factor.md).
  if (error.code === 'LOGIN_BAD_CREDENTIALS' || error.code === 'LOGIN_BAD_OTP') return 'invalid_grant';
  if (!INVALID_REQUEST_CODES.has(error.code)) return undefined;
  const grantType = (body as { grant_type?: unknown } | null | undefined)?.grant_type;
  // A repeated grant_type is an array (validation.ts parseForm): malformed, so invalid_request.
  if (error.code === 'VALIDATION_ERROR' && typeof grantType === 'string' && grantType !== '' && grantType !== PASSWORD_GRANT) {
    return 'unsupported_grant_type';
  }
  return 'invalid_request';
}

/**
 * The token endpoint's error handler: our `{detail, code}` body plus RFC 6749 §5.2's `error` and
 * `error_description`, which standard OAuth2 clients read (requests-oauthlib raises
 * `InvalidGrantError` for a wrong password instead of "Missing access token parameter").
 * See docs/clients.md.
 */
export function handleTokenError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return handleError(error, request, reply, (authError) => {
    const code = oauthErrorOf(authError, request.body);
    if (code === undefined) return undefined;
    const description = code === 'unsupported_grant_type' ? UNSUPPORTED_GRANT_DESCRIPTION : authError.message;
    return { error: code, error_description: description.replace(NOT_DESCRIPTION_CHARACTERS, '') };
  });
}
