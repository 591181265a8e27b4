import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService } from '../core/auth-service.js';
import { AuthError } from '../core/errors.js';
import { toPublicUser } from '../core/user.js';
import { sendError, toAuthError } from './reply-error.js';
import { authCookieDigest, readToken } from './transport.js';

export interface GuardOptions {
  /** Also require `is_superuser` (403 otherwise); default false. */
  superuser?: boolean;
}

/**
 * A preHandler that admits only authenticated requests and sets `request.user` (public fields)
 * and `request.authSession` (the domain user and token digest). It answers 401/403 itself, so it
 * works whatever error handler the host app has.
 */
export function createGuard(service: AuthService, options: GuardOptions = {}): preHandlerAsyncHookHandler {
  const cookieName = service.options.authCookieName;
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const credential = readToken(request, cookieName);
    // A session the cache knows is answered without waiting on anything (no await on this path).
    // A cookie's digest may already be known from the CSRF check of this request.
    const digest = credential?.via === 'cookie' ? authCookieDigest(request, cookieName) : undefined;
    let session = credential ? service.knownSession(credential.token, digest) : null;
    if (session === undefined) {
      try {
        session = await service.resolveToken(credential!.token, digest);
      } catch (error) {
        // A lost database is a 503 here too, whatever error handler the host app has (docs/operations.md, "Health, shutdown and outages").
        const authError = toAuthError(error);
        if (authError.statusCode >= 500) request.log.warn({ err: error }, 'authentication failed: backing service');
        await sendError(reply, authError);
        return;
      }
    }
    if (!session) {
      await sendError(reply, new AuthError('NOT_AUTHENTICATED'));
      return;
    }
    if (options.superuser && !session.user.isSuperuser) {
      await sendError(reply, new AuthError('FORBIDDEN'));
      return;
    }
    request.authSession = session;
    request.user = toPublicUser(session.user);
  };
}
