import type { FastifyInstance } from 'fastify';

// The plugin's internal state on a request, in one mechanism: a symbol-keyed slot per item,
// every one declared here and added to requests once, at registration (`declareRequestState`).
// A declared slot keeps every request object the same shape (no hidden-class change on the hot
// path, and cheaper than a WeakMap lookup); a symbol never collides with a host app's decorators
// and stays out of the public request type's names. Only `request.user` (or the `decoratorName`)
// and `request.authSession` are public.

/** The session this request opened (its token digest) or ended (`null`); `undefined` when unchanged (http/session-change.ts). */
export const kSessionChange: unique symbol = Symbol('fastify-users.sessionChange');
/** The SHA-256 digest of the auth cookie's token, computed once per request (http/transport.ts). */
export const kAuthCookieDigest: unique symbol = Symbol('fastify-users.authCookieDigest');
/** Whether the browser protections hold for this request's route, decided once (http/protection-scope.ts). */
export const kBrowserProtections: unique symbol = Symbol('fastify-users.browserProtections');
/** Set when the Origin or CSRF check refused the request: its response must change nothing (http/csrf.ts). */
export const kRefused: unique symbol = Symbol('fastify-users.refused');
/** A CSRF token handed out in this response's body (`GET /csrf`), which the response also sets as its cookie (http/csrf.ts). */
export const kIssuedCSRFToken: unique symbol = Symbol('fastify-users.issuedCSRFToken');

/**
 * The app-level twin of the slots above: this resource's RFC 9728 metadata URL, sent in every
 * Bearer challenge (http/reply-error.ts); `undefined` when the OAuth provider is off.
 */
export const kResourceMetadata: unique symbol = Symbol('fastify-users.resourceMetadata');

declare module 'fastify' {
  interface FastifyInstance {
    [kResourceMetadata]: string | undefined;
  }
  interface FastifyRequest {
    [kSessionChange]: string | null | undefined;
    [kAuthCookieDigest]: string | undefined;
    [kBrowserProtections]: boolean | undefined;
    [kRefused]: true | undefined;
    [kIssuedCSRFToken]: string | undefined;
  }
}

/** Adds every slot above to the app's requests, each `undefined` until used. */
export function declareRequestState(app: FastifyInstance): void {
  for (const slot of [kSessionChange, kAuthCookieDigest, kBrowserProtections, kRefused, kIssuedCSRFToken]) {
    app.decorateRequest(slot, undefined);
  }
}
