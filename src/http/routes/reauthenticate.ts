import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { AuditLog } from '../../core/audit.js';
import type { RecentAuthentication, ReauthenticationProof } from '../../core/recent-authentication.js';
import type { SpentCode } from '../../core/second-factor.js';
import { auditEvent } from '../audit.js';
import type { ResolvedAuthOptions } from '../../core/options.js';
import { ErrorBody, NoContent, ReauthenticateBody } from '../schemas.js';
import { webauthnChallengeCookie } from '../webauthn-challenge-cookie.js';
import { SECURITY } from './account-context.js';
import { firstPartySession } from '../guard.js';

export interface ReauthenticateRoutesOptions {
  recent: RecentAuthentication;
  options: ResolvedAuthOptions;
  authenticate: preHandlerAsyncHookHandler;
  /** Security events (docs/audit.md): a recovery code spent here is one. */
  audit: AuditLog;
}

/**
 * `POST /users/me/reauthenticate`: the session proves a factor again and is recently
 * authenticated for the next `reauthenticationWindow` seconds (docs/security.md, "Recent authentication").
 */
export const reauthenticateRoutes: FastifyPluginAsyncTypebox<ReauthenticateRoutesOptions> = async (app, { recent, options, authenticate, audit }) => {
  const challengeCookie = webauthnChallengeCookie(options);
  app.post(
    '/users/me/reauthenticate',
    {
      preValidation: authenticate,
      schema: {
        tags: ['users'],
        operationId: 'reauthenticate',
        summary: 'Confirm your identity (password, one-time code or passkey) before adding a way in',
        description: 'Exactly one proof. A passkey assertion answers the challenge of POST /passkeys/login/options, bound to this browser by its cookie.',
        security: SECURITY,
        body: ReauthenticateBody,
        response: { 204: NoContent, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 415: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let proof: ReauthenticationProof;
      if (body.current_password !== undefined) proof = { currentPassword: body.current_password };
      else if (body.otp !== undefined) proof = { otp: body.otp };
      else {
        // The challenge is spent by this attempt whatever its outcome, as at sign-in.
        proof = { passkey: body.passkey!, challenge: request.cookies[challengeCookie.name] };
        reply.clearCookie(challengeCookie.name, challengeCookie.attributes);
      }
      const spent: SpentCode = {};
      await recent.reauthenticate(firstPartySession(request), proof, { ip: request.ip }, spent);
      if (spent.recoveryCodesLeft !== undefined) await auditEvent(audit, request, 'recovery_code.used', { remaining: spent.recoveryCodesLeft });
      return reply.code(204).send(null);
    },
  );
};
