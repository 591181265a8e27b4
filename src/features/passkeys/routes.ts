import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import { clientKey } from '../../core/client-address.js';
import type { SignInPipeline } from '../../core/sign-in.js';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import type { Throttle } from '../../core/throttle.js';
import { CHALLENGE_LIFETIME_SECONDS, type PasskeyService } from './passkeys.js';
import type { PasskeyRecord } from '../../core/store.js';
import type { RecentAuthentication } from '../../core/recent-authentication.js';
import type { User } from '../../core/user.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import { requireRecentAuthentication } from '../../http/recent-authentication.js';
import { webauthnChallengeCookie } from '../../http/webauthn-challenge-cookie.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import { PasskeyCreated, PasskeyIdParams, PasskeyList, PasskeyLoginBody, PasskeyRegisterBody, WebAuthnOptions } from './schemas.js';
import { answerSignIn, clientInfoOf } from '../../http/sign-in-answer.js';
import { SECURITY } from '../../http/routes/account-context.js';

export interface PasskeyRoutesOptions {
  service: AuthService;
  passkeys: PasskeyService;
  /** The one sign-in pipeline: throttles, `amr`, the session. */
  signIn: SignInPipeline;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
  recent: RecentAuthentication;
  /** Mails the user about a passkey just added (docs/security.md). */
  credentialAdded: (user: User, credential: AddedCredential) => void;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['passkeys'];

/** The public JSON of a passkey: no key material, no credential id. */
function toPasskeyInfo(passkey: PasskeyRecord) {
  return {
    id: passkey.id,
    name: passkey.name,
    created_at: passkey.createdAt.toISOString(),
    last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * Passkeys (docs/two-factor.md): `/users/me/passkeys…` to register, list and delete them while
 * signed in; `/passkeys/login/options` and `/passkeys/login` to sign in without an email. The
 * sign-in challenge is bound to the browser by an HttpOnly cookie of its own, so an assertion
 * made for one browser's challenge cannot be played from another.
 */
export const passkeyRoutes: FastifyPluginAsyncTypebox<PasskeyRoutesOptions> = async (
  app,
  { service, passkeys, signIn, authenticate, throttle, recent, credentialAdded, audit },
) => {
  const options = service.options;
  const { name: challengeCookie, attributes: cookieAttributes } = webauthnChallengeCookie(options);
  // Adding a passkey adds a way in: a recently authenticated session only (docs/security.md).
  const recentlyAuthenticated = requireRecentAuthentication(recent);
  const clearChallenge = (reply: FastifyReply) => reply.clearCookie(challengeCookie, cookieAttributes);

  app.post(
    '/users/me/passkeys/options',
    {
      preValidation: authenticate,
      preHandler: recentlyAuthenticated,
      schema: {
        tags: TAG,
        operationId: 'passkeyRegistrationOptions',
        summary: 'Options to register a passkey (navigator.credentials.create)',
        description: 'Needs a recently authenticated session (POST /users/me/reauthenticate), or `current_password` in a JSON body.',
        security: SECURITY,
        response: { 200: WebAuthnOptions, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      // Each answer writes a challenge row: counted per user and per address (docs/security-throttling.md).
      await throttle.consume(throttle.passkeyRegistrationKeys(request.authSession.user.id, request.ip));
      return passkeys.registrationOptions(request.authSession.user);
    },
  );

  app.post(
    '/users/me/passkeys',
    {
      preValidation: authenticate,
      preHandler: recentlyAuthenticated,
      schema: {
        tags: TAG,
        operationId: 'registerPasskey',
        summary: 'Register a passkey from the authenticator response',
        description: 'Needs a recently authenticated session, or `current_password`. The user is mailed about the new passkey.',
        security: SECURITY,
        body: PasskeyRegisterBody,
        response: { 201: PasskeyCreated, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const created = await passkeys.register(request.authSession.user, request.body.response as unknown as RegistrationResponseJSON, request.body.name);
      await auditEvent(audit, request, 'passkey.added', { passkey_id: created.id, name: created.name });
      credentialAdded(request.authSession.user, { kind: 'passkey', name: created.name });
      return reply.code(201).send(toPasskeyInfo(created));
    },
  );

  app.get(
    '/users/me/passkeys',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'listPasskeys',
        summary: "List the current user's passkeys",
        security: SECURITY,
        response: { 200: PasskeyList, 401: ErrorBody },
      },
    },
    async (request) => (await passkeys.list(request.authSession.user.id)).map(toPasskeyInfo),
  );

  app.delete(
    '/users/me/passkeys/:id',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'deletePasskey',
        summary: "Delete one of the current user's passkeys",
        security: SECURITY,
        params: PasskeyIdParams,
        response: { 204: NoContent, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      await passkeys.remove(request.authSession.user.id, request.params.id);
      await auditEvent(audit, request, 'passkey.removed', { passkey_id: request.params.id });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/passkeys/login/options',
    {
      schema: {
        tags: TAG,
        operationId: 'passkeySignInOptions',
        summary: 'Options to sign in with a passkey, without an email (navigator.credentials.get)',
        security: [],
        response: { 200: WebAuthnOptions, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      // Anonymous and it writes a row: counted per address like login attempts, so a client cannot
      // fill the challenge table (purged as it expires) faster than the throttle allows.
      const settings = throttle.settings;
      await throttle.consume([throttle.customKey('passkey-options:ip', clientKey(request.ip), settings.addressLimit, settings.loginWindowSeconds)]);
      const { options: requestOptions, challenge } = await passkeys.authenticationOptions();
      reply.setCookie(challengeCookie, challenge, { ...cookieAttributes, maxAge: CHALLENGE_LIFETIME_SECONDS });
      return requestOptions;
    },
  );

  app.post(
    '/passkeys/login',
    {
      schema: {
        tags: TAG,
        operationId: 'signInWithPasskey',
        summary: 'Sign in with a passkey (sets the auth cookie, like /login)',
        description: 'A passkey with user verification is both factors: no one-time code is asked.',
        security: [],
        body: PasskeyLoginBody,
        response: { 204: NoContent, 400: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const assertion = request.body.response as unknown as AuthenticationResponseJSON;
      // Charged before any verification work, as a password is before hashing (429 with
      // Retry-After, RFC 6585 §4): per address, and per credential and address — never per
      // credential from anywhere, so garbage sent for someone's credential id cannot lock them
      // out (OWASP Authentication CS, "Account lockout"; docs/security-throttling.md). A throttled
      // attempt spends nothing, its challenge included.
      const result = await signIn.signIn(
        {
          method: 'passkey',
          keys: throttle.passkeyLoginKeys(assertion.id, request.ip),
          failure: 'PASSKEY_INVALID',
          prove: async () => {
            // The challenge is spent by this attempt whatever its outcome; a failure keeps its charge.
            clearChallenge(reply);
            const user = await passkeys.authenticate(assertion, request.cookies[challengeCookie]);
            // User verification was required: the passkey is both factors (RFC 8176 `hwk`).
            return { user, amr: ['hwk'], secondFactor: 'covered' };
          },
        },
        clientInfoOf(request),
      );
      answerSignIn(request, reply, options, result, 'cookie');
      return reply.code(204).send(null);
    },
  );
};
