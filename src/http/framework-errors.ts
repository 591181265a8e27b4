import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../core/errors.js';
import { sendError, toAuthError } from './reply-error.js';

/** The signature of Fastify's `frameworkErrors` server option. */
export type FrameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

export interface FrameworkErrorOptions {
  /** Headers added to each such answer, e.g. the server's security headers; default none. */
  headers?: Record<string, string>;
}

/**
 * A handler for Fastify's `frameworkErrors` option: the errors the router raises before any
 * route, hook or error handler runs — a path that is not valid percent-encoding
 * (`FST_ERR_BAD_URL`), a path parameter over `maxParamLength` (`FST_ERR_MAX_PARAM_LENGTH`), a
 * failing async constraint. Fastify's own answer to these echoes the path and carries none of the
 * headers our hooks set; this one is `{detail, code}` with `Cache-Control: no-store`, and the
 * given headers, since no `onRequest` hook runs for them (docs/security-hardening.md).
 */
export function createFrameworkErrorHandler(options: FrameworkErrorOptions = {}): FrameworkErrorHandler {
  const headers = options.headers ?? {};
  return (error, _request, reply) => {
    reply.headers(headers);
    sendError(reply, toAuthError(error));
  };
}

/**
 * What a host application passes as `Fastify({ frameworkErrors })` so that router errors answer
 * in the plugin's format too (a plugin cannot set a server option itself).
 */
export const frameworkErrors: FrameworkErrorHandler = createFrameworkErrorHandler();

/** A not-found handler answering `404 {detail, code: "NOT_FOUND"}`, for `app.setNotFoundHandler()`. */
export function notFoundHandler(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new AuthError('NOT_FOUND'));
}
