import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
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

  const hand = async (request: FastifyRequest, reply: FastifyReply, engineUrl: string) => {
    // Open registration (RFC 7591) counts as a sign-up from the address (docs/security-throttling.md).
    if (request.method === 'POST' && engineUrl.split('?')[0] === '/register') await options.chargeRegistration(request);
    const raw = request.raw as EngineRequest & { originalUrl?: string };
    raw[kSignedInUser] = await options.signedInUser(request);
    asIssuer(raw, options.issuer);
    const url = deviceLinkURL(raw, engineUrl);
    // The engine sees its own path; `originalUrl` tells it where it is mounted.
    raw.originalUrl = `${basePath}${url}`;
    raw.url = url;
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

function queryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}
