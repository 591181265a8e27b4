import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type ErrorCode } from '../core/errors.js';
import { isUnavailableError, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../store/unavailable.js';
import { kResourceMetadata } from './request-state.js';
import { toValidationProblems } from './validation.js';

/**
 * Members a route adds to its error bodies beside `detail` and `code`, decided per error (e.g.
 * RFC 6749 §5.2's `error` on the token endpoint, see oauth-error.ts); `undefined` adds none.
 */
export type ErrorFields = (error: AuthError, request: FastifyRequest) => Readonly<Record<string, string>> | undefined;

/**
 * Sends a registered error as `{"detail", "code"}` (plus `fields`, when given). The one place a
 * failure becomes a status code; 401s carry `WWW-Authenticate: Bearer` (RFC 6750 §3) and 429/503
 * carry `Retry-After`; every error carries `Cache-Control: no-store` and
 * `X-Content-Type-Options: nosniff`.
 */
export function sendError(reply: FastifyReply, error: AuthError, fields?: Readonly<Record<string, string>>): FastifyReply {
  if (error.statusCode === 401 || error.challenge !== undefined) reply.header('www-authenticate', bearerChallenge(reply, error.challenge));
  if (error.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfter))));
  // Also in library mode, where the host may send no security headers: a JSON error is never
  // sniffed as something else (OWASP HTTP Headers CS).
  reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
  // A registry entry's own `error` (e.g. `mfa_required`) unless the route's fields say otherwise.
  const registered = error.error === undefined ? undefined : { error: error.error };
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({ ...registered, ...fields, detail: error.detail, code: error.code });
}

/**
 * `Bearer` and its auth-params (RFC 6750 §3): the error's own (e.g. `error="insufficient_scope"`),
 * then, when this server is an OAuth resource, `resource_metadata` (RFC 9728 §5.1) — the link MCP
 * clients follow to find the authorization server.
 */
function bearerChallenge(reply: FastifyReply, params: Readonly<Record<string, string>> | undefined): string {
  const metadata = reply.server[kResourceMetadata];
  if (params === undefined && metadata === undefined) return 'Bearer';
  const all = metadata === undefined ? { ...params } : { ...params, resource_metadata: metadata };
  // The values are ours (scope names, a configured URL), never the request's; quotes and
  // backslashes are escaped all the same (RFC 9110 §5.6.4, quoted-string).
  return `Bearer ${Object.entries(all)
    .map(([name, value]) => `${name}="${value.replace(/["\\]/g, '\\$&')}"`)
    .join(', ')}`;
}

/** Fastify's own error codes that are the client's fault, mapped to our registry. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'MALFORMED_URL',
  FST_ERR_INVALID_URL: 'MALFORMED_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'URL_TOO_LONG',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_ASYNC_CONSTRAINT: 'NOT_FOUND',
};

/**
 * Classifies any thrown value as a registered error. Unknown errors become a generic 500 (their
 * message could hold SQL or a path); what the client did wrong keeps its 4xx.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation) {
    return new AuthError('VALIDATION_ERROR', toValidationProblems(fastifyError.validation as never, fastifyError.validationContext ?? 'body'));
  }
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AuthError(mapped);
  // A lost database or Redis is neither the client's fault nor a bug: 503 + Retry-After with the
  // generic sentence (docs/operations.md, "Health, shutdown and outages"); the driver's message stays in the log.
  if (isUnavailableError(error)) {
    return new AuthError('SERVICE_UNAVAILABLE', undefined, { retryAfter: UNAVAILABLE_RETRY_AFTER_SECONDS });
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AuthError(status === 413 ? 'BODY_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'MALFORMED_BODY');
  }
  return new AuthError('INTERNAL_SERVER_ERROR');
}

/**
 * Fastify error handler: registered errors as they are, the unexpected logged and made generic.
 * A route with a body format of its own passes `fieldsOf` through a route-level `errorHandler`.
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply, fieldsOf?: ErrorFields): FastifyReply {
  const authError = toAuthError(error);
  if (authError.code === 'SERVICE_UNAVAILABLE') {
    // Expected while a backing service is away: a warning, not a bug report.
    request.log.warn({ err: error }, 'backing service unavailable');
  } else if (authError.statusCode >= 500) {
    // The error object goes to the log (redacted paths apply); the client sees only the code.
    request.log.error({ err: error }, 'request failed');
  }
  return sendError(reply, authError, fieldsOf?.(authError, request));
}
