import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService, Session } from '../core/auth-service.js';
import { AuthError } from '../core/errors.js';
import { toPublicUser, type PublicUser } from '../core/user.js';
import { sendError, toAuthError } from './reply-error.js';
import { authCookieDigest, readToken } from './transport.js';

export interface GuardOptions {
  /** Also require `is_superuser` (403 otherwise); default false. */
  superuser?: boolean;
}

/** The request decorator holding the public user when the plugin's `decoratorName` is not given. */
export const DEFAULT_USER_DECORATOR = 'user';

/** What the guard's fast path returns to a direct caller (`await app.authenticate(request, reply)`). */
const ADMITTED: Promise<void> = Promise.resolve();

/**
 * A preHandler that admits only authenticated requests and sets `request.user` (public fields;
 * `userDecorator` renames it)
 * and `request.authSession` (the domain user and token digest). It answers 401/403 itself, so it
 * works whatever error handler the host app has.
 *
 * A session the cache knows is admitted synchronously: as a hook (Fastify passes `done`) it calls
 * `done()` at once, with no promise or microtask on the request's path (docs/BENCHMARKS.md);
 * called directly it returns a settled promise. Anything else (a database read, a refusal) returns
 * the promise of the full check, which Fastify awaits — so it is an async hook to every caller.
 */
export function createGuard(service: AuthService, options: GuardOptions = {}, userDecorator: string = DEFAULT_USER_DECORATOR): preHandlerAsyncHookHandler {
  const cookieName = service.options.authCookieName;

  /** Sets what an authenticated request carries: the public user under the configured name. */
  function admit(request: FastifyRequest, session: Session): void {
    request.authSession = session;
    (request as unknown as Record<string, PublicUser>)[userDecorator] = toPublicUser(session.user);
  }

  async function check(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string | undefined,
    digest: string | undefined,
    known: Session | null | undefined,
  ): Promise<void> {
    let session = known;
    if (session === undefined) {
      try {
        session = await service.resolveToken(token!, digest);
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
    admit(request, session);
  }

  function guard(request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction): Promise<void> | undefined {
    const credential = readToken(request, cookieName);
    // A cookie's digest may already be known from the CSRF check of this request.
    const digest = credential?.via === 'cookie' ? authCookieDigest(request, cookieName) : undefined;
    const known = credential ? service.knownSession(credential.token, digest) : null;
    if (known && (!options.superuser || known.user.isSuperuser)) {
      admit(request, known);
      if (done === undefined) return ADMITTED;
      done();
      return undefined;
    }
    return check(request, reply, credential?.token, digest, known);
  }
  return guard as unknown as preHandlerAsyncHookHandler;
}

/** Reads the public user a guard set under `userDecorator` (the plugin's `decoratorName`). */
export function publicUserReader(userDecorator: string): (request: FastifyRequest) => PublicUser {
  return (request) => (request as unknown as Record<string, PublicUser>)[userDecorator]!;
}
