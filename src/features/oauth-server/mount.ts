import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { DEVICE_PAGE_PATH, type EngineRequest, kGivenUserCode, kSignedInUser } from './engine.js';

/** What the mount needs to know of the request's first-party session. */
export interface MountOptions {
  engine: Provider;
  issuer: string;
  /** The engine's base path (`<routePrefix>/oauth2`). */
  basePath: string;
  /** The user id of the request's auth-cookie session, or null (read before the engine runs). */
  signedInUser(request: FastifyRequest): Promise<number | null>;
  /** Charges a client registration to the caller's address; throws 429 over the limit. */
  chargeRegistration(request: FastifyRequest): Promise<void>;
  /** Where the engine's unchanging answers are kept, served by {@link serveReadyDocuments}'s hook. */
  documents: ReadyDocuments;
}

/** The discovery documents, at the issuer's root whatever the engine's path (RFC 8414 §3, OpenID Connect Discovery §4). */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/**
 * Hands requests to the engine (a Node request listener) from Fastify: the reply is hijacked so
 * the engine writes the response itself, and the body stream is left unread for it.
 */
export async function mountEngine(parent: FastifyInstance, options: MountOptions): Promise<void> {
  await parent.register(async (app) => engineRoutes(app, options));
}

/**
 * The engine builds its URLs from the request's host and scheme: we state them from PUBLIC_URL
 * (with `proxy` on, through the forwarded headers), never from what the client sent.
 */
export function asIssuer(raw: IncomingMessage, issuer: string): void {
  const url = new URL(issuer);
  raw.headers['x-forwarded-host'] = url.host;
  raw.headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
}

function engineRoutes(app: FastifyInstance, options: MountOptions): void {
  const { engine, basePath } = options;
  const listener = engine.callback();
  // The engine reads the body itself (its token endpoint takes forms and JSON): no parser of ours
  // may drain the stream first, and our form rules (duplicate keys refused) do not apply to it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const { documents } = options;
  const hand = async (request: FastifyRequest, reply: FastifyReply, engineUrl: string) => {
    // The first plain GET of a document goes to the engine; its answer is kept under the path
    // asked (read before the engine's view replaces it below) and, from then on, served by the
    // early hook before this route is reached.
    const keepAs = request.method === 'GET' && READY_DOCUMENTS.has(engineUrl) ? request.url : undefined;
    // Open registration (RFC 7591) counts as a sign-up from the address (docs/security-throttling.md).
    if (request.method === 'POST' && engineUrl.split('?')[0] === '/register') await options.chargeRegistration(request);
    const raw = request.raw as EngineRequest & { originalUrl?: string };
    // Fastify keeps the URL the client asked for as `request.originalUrl` from its first read: read
    // it before the engine's view replaces `url` below, so the request's log line names the path
    // that was called (`/oauth2/token`), not the engine's own (`/token`).
    void request.originalUrl;
    raw[kSignedInUser] = await options.signedInUser(request);
    asIssuer(raw, options.issuer);
    const url = deviceLinkURL(raw, engineUrl);
    // The engine sees its own path; `originalUrl` tells it where it is mounted.
    raw.originalUrl = `${basePath}${url}`;
    raw.url = url;
    carryReplyHeaders(reply);
    if (keepAs !== undefined) documents.capture(keepAs, reply.raw);
    reply.hijack();
    listener(raw, reply.raw);
  };

  // The engine's endpoints are called by other servers (token, introspection, revocation, with
  // client authentication, no cookies) and by browsers navigating (authorization): our
  // CORS/Origin/CSRF rules are for our cookie-authenticated API and would refuse both; the engine
  // applies its own (state, PKCE, client authentication, clientBasedCORS).
  const config = { browserProtections: false };
  app.route({
    method: ['GET', 'POST', 'OPTIONS', 'DELETE', 'PUT'],
    url: `${basePath}/*`,
    config,
    schema: { hide: true },
    handler: (request, reply) => hand(request, reply, request.url.slice(basePath.length)),
  });
  for (const path of DISCOVERY_PATHS) {
    app.route({
      method: ['GET', 'OPTIONS'],
      url: path,
      config,
      schema: { hide: true },
      // RFC 8414's document is the same metadata: every field of OpenID Connect Discovery is one of its.
      handler: (request, reply) => hand(request, reply, `/.well-known/openid-configuration${queryOf(request.url)}`),
    });
  }
}

/**
 * A device's `verification_uri_complete` (RFC 8628 §3.3.1, `/device?user_code=…`): the engine would
 * answer with a page that posts the code by script at once. We take the code off the URL and
 * show it in our entry page's field instead, so the user still reads it and presses Continue, then
 * checks the code on the confirmation page (RFC 8628 §5.4: a code sent by someone else must not
 * connect their device silently).
 */
function deviceLinkURL(raw: EngineRequest, engineUrl: string): string {
  const index = engineUrl.indexOf('?');
  if (raw.method !== 'GET' || index === -1 || engineUrl.slice(0, index) !== DEVICE_PAGE_PATH) return engineUrl;
  const query = new URLSearchParams(engineUrl.slice(index + 1));
  const code = query.get('user_code');
  if (code === null) return engineUrl;
  // A user code is 8 characters and a dash; anything far longer is not one, and is not echoed.
  if (code.length <= 64) raw[kGivenUserCode] = code;
  query.delete('user_code');
  const rest = query.toString();
  return rest ? `${DEVICE_PAGE_PATH}?${rest}` : DEVICE_PAGE_PATH;
}

/**
 * The engine's answers that are the same for every request while the process runs: the discovery
 * document and the JWKS. The engine builds them from its configuration and its signing keys, both
 * fixed when it is created (a key from `keys rotate` is used after a restart, docs/oauth-server.md),
 * yet rebuilds the discovery document and goes through Koa on every request — two to three times
 * the CPU of serving the bytes (docs/BENCHMARKS.md, row 13). Only a plain GET (no query) is
 * answered from here; anything else (a query, HEAD, a CORS preflight, an error) is the engine's.
 */
const READY_DOCUMENTS = new Set(['/.well-known/openid-configuration', '/jwks']);

/**
 * Headers the engine's answer carries that belong to that one request: `Access-Control-Allow-Origin`
 * is the request's `Origin`, or `*` without one (the engine's open CORS for these two documents,
 * `@koa/cors` with `origin: ctx.get('Origin') || '*'`), set again per request.
 */
const PER_REQUEST_HEADERS = new Set(['access-control-allow-origin', 'date', 'connection', 'keep-alive', 'transfer-encoding']);

/**
 * One captured answer of the engine: its status, its own headers (less the per-request ones; those
 * our hooks had set are carried afresh for each request, {@link carryReplyHeaders}) and body,
 * kept as a string: Node then sends the head and the body in one write, where a Buffer takes a writev.
 */
class ReadyDocument {
  constructor(
    private readonly status: number,
    private readonly headers: OutgoingHttpHeaders,
    private readonly body: string,
    private readonly cors: boolean,
  ) {}

  send(request: IncomingMessage, response: ServerResponse): void {
    const headers = this.cors ? { ...this.headers, 'access-control-allow-origin': request.headers.origin || '*' } : this.headers;
    response.writeHead(this.status, headers);
    response.end(this.body);
  }
}

/**
 * The ready documents by request path (`/.well-known/openid-configuration`, `<base>/jwks`, …),
 * each taken from the engine's first successful answer to a plain GET of that path: the bytes and
 * headers are the engine's own, so what a client receives does not change.
 */
export class ReadyDocuments {
  private readonly ready = new Map<string, ReadyDocument>();

  get(url: string): ReadyDocument | undefined {
    return this.ready.get(url);
  }

  /**
   * Records what the engine writes to `response`, if it is a 200 with a body written in one piece
   * (Koa's `res.end(body)`). The headers already on `response` (our hooks', the host's) are not
   * the engine's: they stay out of the copy unless the engine changed them.
   */
  capture(url: string, response: ServerResponse): void {
    const end = response.end;
    const ready = this.ready;
    const carried = response.getHeaders();
    response.end = function endAndKeep(this: ServerResponse, ...args: unknown[]) {
      const [chunk] = args;
      if (response.statusCode === 200 && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && !ready.has(url) && !response.headersSent) {
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(response.getHeaders())) {
          if (value !== undefined && !PER_REQUEST_HEADERS.has(name) && carried[name] !== value) headers[name] = value;
        }
        const cors = response.hasHeader('access-control-allow-origin');
        ready.set(url, new ReadyDocument(200, headers, Buffer.from(chunk).toString('utf8'), cors));
      }
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['end'];
  }
}

/**
 * Answers a plain GET of a ready document in the first `onRequest` hook of ours, before the
 * cookie parser and the CORS, Origin and CSRF hooks that every other route pays for and these two
 * documents do not need (they are public, carry no cookie-authenticated action, and the engine's
 * own answer never had those checks either). Registered by the plugin before those hooks, so it
 * runs right after the host's own: on a quiet machine those hooks were half of what a discovery
 * or JWKS answer cost (docs/BENCHMARKS.md, row 13). The reply is hijacked as the engine's is, so
 * `onResponse` hooks (the request's log line) still run, and the headers the hooks before it set
 * (the server's security headers, a host's own) go with the copy as they go with the engine's answers.
 */
export function serveReadyDocuments(app: FastifyInstance, documents: ReadyDocuments): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'GET') {
      const ready = documents.get(request.url);
      if (ready !== undefined) {
        carryReplyHeaders(reply);
        reply.hijack();
        ready.send(request.raw, reply.raw);
        return;
      }
    }
    done();
  });
}

/**
 * The headers our hooks (and the host's) set on the reply so far — the security headers
 * (docs/security.md) — put on the raw response the engine writes, which a hijacked reply would
 * otherwise send without them. The engine's own headers, set later, win over any of the same name
 * (its `Cache-Control: no-store` on token answers).
 *
 * All but the page policy (CSP): the engine's pages set their own (pages.ts), and its
 * form_post answer (OAuth 2.0 Form Post Response Mode) is a form that posts to the client's
 * redirect URI, which our policy's `form-action 'self'` would stop.
 */
export function carryReplyHeaders(reply: FastifyReply): void {
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && name !== 'content-security-policy') reply.raw.setHeader(name, value);
  }
}

function queryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}
