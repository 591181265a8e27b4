import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService, Session } from '../core/auth-service.js';
import { CredentialResolvers, missingScopes, type AuthSession, type CredentialAnswer } from '../core/credentials.js';
import { AuthError } from '../core/errors.js';
import { looksLikeToken } from '../core/token.js';
import { toPublicUser, type PublicUser } from '../core/user.js';
import { sendError, toAuthError } from './reply-error.js';
import { authCookieDigest, readToken } from './transport.js';

export interface GuardOptions {
  /** Also require `is_superuser` (403 otherwise); default false. Implies `firstParty`. */
  superuser?: boolean;
  /**
   * Admit first-party sessions only: a provider access token or an API key gets 403
   * `FIRST_PARTY_SESSION_REQUIRED` (account management, docs/resource-server.md); default false.
   */
  firstParty?: boolean;
  /** Scopes a delegated credential must hold (403 `INSUFFICIENT_SCOPE` otherwise); a first-party session holds them all. */
  scopes?: readonly string[];
}

/** The request decorator holding the public user when the plugin's `decoratorName` is not given. */
export const DEFAULT_USER_DECORATOR = 'user';

/** What the guard's fast path returns to a direct caller (`await app.authenticate(request, reply)`). */
const ADMITTED: Promise<void> = Promise.resolve();

/** A resolver must refuse an inactive user itself; checked again here, as a lapse would let a deactivated account in. */
function activeOnly(answer: CredentialAnswer): CredentialAnswer {
  return answer && !answer.user.isActive ? null : answer;
}

/** RFC 6750 §3.1: a 403 for a valid credential without the scope, naming the scopes needed. */
export function insufficientScope(scopes: readonly string[]): AuthError {
  return new AuthError('INSUFFICIENT_SCOPE', `This route needs the scope${scopes.length === 1 ? '' : 's'} ${scopes.join(' ')}`, {
    challenge: { error: 'insufficient_scope', scope: scopes.join(' ') },
  });
}

/** Why `session` may not pass a guard with `options`, or `undefined` when it may. */
export function refusalOf(session: AuthSession, options: GuardOptions): AuthError | undefined {
  if ((options.firstParty || options.superuser) && session.kind !== 'session') return new AuthError('FIRST_PARTY_SESSION_REQUIRED');
  if (options.superuser && !session.user.isSuperuser) return new AuthError('FORBIDDEN');
  // A user made superuser while a support session of theirs is open: that session still acts as
  // the impersonating superuser only, never with the user's new powers (docs/audit.md).
  if (options.superuser && session.kind === 'session' && session.impersonatorId !== undefined) return new AuthError('IMPERSONATION_READ_ONLY');
  if (options.scopes !== undefined && options.scopes.length > 0 && missingScopes(session, options.scopes).length > 0) {
    return insufficientScope(options.scopes);
  }
  return undefined;
}

/**
 * A preHandler that admits only authenticated requests and sets `request.user` (public fields;
 * `userDecorator` renames it) and `request.authSession` (the domain user and what the request
 * authenticated with: `kind` 'session', 'provider' or 'api_key'). It answers 401/403 itself, so it
 * works whatever error handler the host app has.
 *
 * A session the cache knows is admitted synchronously: as a hook (Fastify passes `done`) it calls
 * `done()` at once, with no promise or microtask on the request's path (docs/BENCHMARKS.md);
 * called directly it returns a settled promise. Anything else (a database read, a refusal) returns
 * the promise of the full check, which Fastify awaits — so it is an async hook to every caller.
 *
 * The `resolvers` (provider access tokens, API keys) are asked only for a credential that is not
 * in our token format, after the fast path missed: a first-party request never reaches them.
 */
export function createGuard(
  service: AuthService,
  options: GuardOptions = {},
  userDecorator: string = DEFAULT_USER_DECORATOR,
  resolvers: CredentialResolvers = new CredentialResolvers(),
): preHandlerAsyncHookHandler {
  const cookieName = service.options.authCookieName;

  /** Sets what an authenticated request carries: the public user under the configured name. */
  function admit(request: FastifyRequest, session: AuthSession): void {
    request.authSession = session;
    (request as unknown as Record<string, PublicUser>)[userDecorator] = toPublicUser(session.user);
  }

  /**
   * A delegated credential's session; `null` refuses, `undefined` when no resolver knew it. Given
   * synchronously when the resolvers answer so (see `CredentialResolvers.resolve`).
   */
  function resolveDelegated(request: FastifyRequest, bearer: string | undefined): CredentialAnswer | Promise<CredentialAnswer> {
    const header = request.headers['x-api-key'];
    const apiKey = typeof header === 'string' && header !== '' ? header : undefined;
    if (bearer === undefined && apiKey === undefined) return undefined;
    const answer = resolvers.resolve({ bearer, apiKey });
    return answer instanceof Promise ? answer.then(activeOnly) : activeOnly(answer);
  }

  async function check(
    request: FastifyRequest,
    reply: FastifyReply,
    credential: { token: string; via: 'bearer' | 'cookie' } | null,
    digest: string | undefined,
    known: AuthSession | null | undefined,
    delegated?: Promise<CredentialAnswer>,
  ): Promise<void> {
    let session = known;
    try {
      const ours = credential !== null && looksLikeToken(credential.token);
      if (delegated !== undefined) {
        session = await delegated;
      } else if (!ours && resolvers.size > 0) {
        session = await resolveDelegated(request, credential?.via === 'bearer' ? credential.token : undefined);
      } else if (session === undefined) {
        session = await service.resolveToken(credential!.token, digest);
      }
    } catch (error) {
      // A lost database is a 503 here too, whatever error handler the host app has (docs/operations.md, "Health, shutdown and outages").
      const authError = toAuthError(error);
      if (authError.statusCode >= 500) request.log.warn({ err: error }, 'authentication failed: backing service');
      await sendError(reply, authError);
      return;
    }
    if (!session) {
      await sendError(reply, new AuthError('NOT_AUTHENTICATED'));
      return;
    }
    const refusal = refusalOf(session, options);
    if (refusal) {
      await sendError(reply, refusal);
      return;
    }
    admit(request, session);
  }

  function guard(request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction): Promise<void> | undefined {
    const credential = readToken(request, cookieName);
    // A cookie's digest may already be known from the CSRF check of this request.
    const digest = credential?.via === 'cookie' ? authCookieDigest(request, cookieName) : undefined;
    const known = credential ? service.knownSession(credential.token, digest) : null;
    // A cached session is first-party, so it holds every scope: only `superuser` can refuse it here.
    if (known && (!options.superuser || known.user.isSuperuser)) {
      admit(request, known);
      if (done === undefined) return ADMITTED;
      done();
      return undefined;
    }
    // A delegated credential its resolver holds in memory (a provider JWT, an API key) is admitted
    // synchronously too; anything else — a read, a refusal, an error — goes through the full check.
    if (known === null && credential !== null && !looksLikeToken(credential.token) && resolvers.size > 0) {
      let answer: CredentialAnswer | Promise<CredentialAnswer>;
      try {
        answer = resolveDelegated(request, credential.via === 'bearer' ? credential.token : undefined);
      } catch (error) {
        answer = Promise.reject(error);
      }
      if (answer instanceof Promise) return check(request, reply, credential, digest, known, answer);
      if (answer && refusalOf(answer, options) === undefined) {
        admit(request, answer);
        if (done === undefined) return ADMITTED;
        done();
        return undefined;
      }
      return check(request, reply, credential, digest, known, Promise.resolve(answer));
    }
    return check(request, reply, credential, digest, known);
  }
  return guard as unknown as preHandlerAsyncHookHandler;
}

/**
 * `app.requireScopes(...scopes)`: a preHandler admitting a request whose credential holds every
 * one of `scopes` (a first-party session holds them all). After a guard of the same request it
 * only checks the scopes; alone, it authenticates first.
 */
export function createScopeGuard(authenticateWithScopes: preHandlerAsyncHookHandler, scopes: readonly string[]): preHandlerAsyncHookHandler {
  const hook = (request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction): Promise<void> | undefined => {
    const session = request.authSession as AuthSession | null;
    if (session === null || session === undefined) {
      return (authenticateWithScopes as unknown as (r: FastifyRequest, p: FastifyReply, d?: HookHandlerDoneFunction) => Promise<void> | undefined)(
        request,
        reply,
        done,
      );
    }
    if (missingScopes(session, scopes).length > 0) return refuse(reply, insufficientScope(scopes));
    if (done === undefined) return ADMITTED;
    done();
    return undefined;
  };
  return hook as unknown as preHandlerAsyncHookHandler;
}

async function refuse(reply: FastifyReply, error: AuthError): Promise<void> {
  await sendError(reply, error);
}

/** Reads the public user a guard set under `userDecorator` (the plugin's `decoratorName`). */
export function publicUserReader(userDecorator: string): (request: FastifyRequest) => PublicUser {
  return (request) => (request as unknown as Record<string, PublicUser>)[userDecorator]!;
}

/**
 * The first-party session of a request a first-party guard admitted (account management routes);
 * any other credential is refused here too, so a route wired to the wrong guard fails closed.
 */
export function firstPartySession(request: FastifyRequest): Session {
  const session = request.authSession;
  if (session?.kind !== 'session') throw new AuthError('FIRST_PARTY_SESSION_REQUIRED');
  return session;
}
