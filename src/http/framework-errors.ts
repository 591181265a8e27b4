import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AuthError, type ErrorCode } from '../core/errors.js';
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

/** The signature of Fastify's `clientErrorHandler` server option. */
export type ClientErrorHandler = (error: Error & { code?: string }, socket: Socket) => void;

/**
 * A handler for Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses before a
 * request exists (bytes that are not HTTP, headers over the size limit, a request that never
 * finishes arriving). Written to the socket as `{detail, code}` with the same headers as
 * {@link createFrameworkErrorHandler}, then the connection is closed, as Node and Fastify do.
 */
export function createClientErrorHandler(options: FrameworkErrorOptions = {}): ClientErrorHandler {
  const extra = Object.entries({ ...options.headers, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error, socket) => {
    // A reset connection has no one to answer (Node's "clientError" documentation).
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode =
      error.code === 'HPE_HEADER_OVERFLOW' ? 'HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'MALFORMED_REQUEST';
    const refusal = new AuthError(code);
    const body = JSON.stringify({ detail: refusal.detail, code });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${refusal.statusCode} ${STATUS_CODES[refusal.statusCode]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/** What a host application passes as `Fastify({ clientErrorHandler })`, beside `frameworkErrors`. */
export const clientErrorHandler: ClientErrorHandler = createClientErrorHandler();
