import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import type { Throttle } from '../../core/throttle.js';
import type { SpentCode } from '../../core/second-factor.js';
import type { TwoFactorService } from './two-factor.js';
import type { User } from '../../core/user.js';
import type { AddedCredential } from '../../mail/credential-notice.js';
import { ErrorBody, NoContent } from '../../http/schemas.js';
import { RecoveryCodes, TOTPBeginBody, TOTPConfirmBody, TOTPDisableBody, TOTPEnrolment, TOTPStatus } from './schemas.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { firstPartySession } from '../../http/guard.js';

export interface TOTPRoutesOptions {
  twoFactor: TwoFactorService;
  authenticate: preHandlerAsyncHookHandler;
  throttle: Throttle;
  /** Mails the user that TOTP is on (docs/security.md). */
  credentialAdded: (user: User, credential: AddedCredential) => void;
  /** Security events (docs/audit.md). */
  audit: AuditLog;
}

const TAG = ['two-factor'];

/**
 * `GET/POST/DELETE /users/me/totp` and `POST /users/me/totp/confirm`: TOTP set-up and removal
 * (docs/two-factor.md). Codes typed here are counted per account like login attempts, so a
 * stolen session cannot guess its way to disabling the factor.
 */
export const totpRoutes: FastifyPluginAsyncTypebox<TOTPRoutesOptions> = async (app, { twoFactor, authenticate, throttle, credentialAdded, audit }) => {
  const codeKeys = (userId: number) => throttle.oneTimeCodeKeys(userId);

  app.get(
    '/users/me/totp',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'getTOTPStatus',
        summary: 'Whether two-factor sign-in (TOTP) is on for the current user',
        security: SECURITY,
        response: { 200: TOTPStatus, 401: ErrorBody },
      },
    },
    async (request) => {
      const status = await twoFactor.status(firstPartySession(request).user.id);
      return { enabled: status.enabled, recovery_codes_left: status.recoveryCodesLeft };
    },
  );

  app.post(
    '/users/me/totp',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'beginTOTP',
        summary: 'Start setting up TOTP: a new secret, pending until confirmed',
        security: SECURITY,
        body: TOTPBeginBody,
        response: { 200: TOTPEnrolment, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const enrolment = await twoFactor.begin(firstPartySession(request), request.body.current_password, { ip: request.ip });
      return { secret: enrolment.secret, otpauth_url: enrolment.otpauthUrl };
    },
  );

  app.post(
    '/users/me/totp/confirm',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'confirmTOTP',
        summary: 'Confirm TOTP with a first code; returns the recovery codes, once',
        description: 'Enabling TOTP signs out every other session of the user.',
        security: SECURITY,
        body: TOTPConfirmBody,
        response: { 200: RecoveryCodes, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const keys = codeKeys(firstPartySession(request).user.id);
      await throttle.consume(keys);
      const codes = await twoFactor.confirm(firstPartySession(request), request.body.code);
      await throttle.reset(keys);
      await auditEvent(audit, request, 'totp.enabled', {});
      credentialAdded(firstPartySession(request).user, { kind: 'totp' });
      return { recovery_codes: codes };
    },
  );

  app.delete(
    '/users/me/totp',
    {
      preValidation: authenticate,
      schema: {
        tags: TAG,
        operationId: 'disableTOTP',
        summary: 'Turn TOTP off (current password and a code or recovery code)',
        security: SECURITY,
        body: TOTPDisableBody,
        response: { 204: NoContent, 400: ErrorBody, 401: ErrorBody, 422: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const keys = codeKeys(firstPartySession(request).user.id);
      await throttle.consume(keys);
      const spent: SpentCode = {};
      await twoFactor.disable(firstPartySession(request), request.body.current_password, request.body.code, { ip: request.ip }, spent);
      await throttle.reset(keys);
      if (spent.recoveryCodesLeft !== undefined) await auditEvent(audit, request, 'recovery_code.used', { remaining: spent.recoveryCodesLeft });
      await auditEvent(audit, request, 'totp.disabled', {});
      return reply.code(204).send(null);
    },
  );
};
