import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../core/audit.js';
import { auditEvent } from '../../http/audit.js';
import { Type } from 'typebox';
import { normalizeEmail } from '../../core/email.js';
import { AuthError, type ErrorCode } from '../../core/errors.js';
import type { ResolvedAuthOptions } from '../../core/options.js';
import type { SignInAttempt, SignInPipeline } from '../../core/sign-in.js';
import type { Throttle } from '../../core/throttle.js';
import { generateToken } from '../../core/token.js';
import type { MailOutbox } from '../../mail/outbox.js';
import type { MailThrottle } from '../../http/routes/account-context.js';
import { ErrorBody, NoContent, TokenResponse } from '../../http/schemas.js';
import { answerSignIn, clientInfoOf } from '../../http/sign-in-answer.js';
import { clearBinding, readBinding, startBinding } from './binding-cookie.js';
import type { EmailSignInProof, EmailSignInService } from './email-sign-in.js';
import { EmailSignInAccepted, EmailSignInBody, EmailSignInVerifyBody } from './schemas.js';

export interface EmailSignInRoutesOptions {
  options: ResolvedAuthOptions;
  emailSignIn: EmailSignInService;
  /** The one sign-in pipeline: throttles, second factor, `amr`, the session. */
  signIn: SignInPipeline;
  throttle: Throttle;
  /** The mail-sending routes' throttle, as `/forgot-password` has it. */
  mailThrottle: MailThrottle;
  outbox: MailOutbox;
  /** Security events (docs/audit.md): an account made by mail, an address proven by it. */
  audit: AuditLog;
}

const TAG = ['email sign-in'];

/**
 * `POST /login/email` and `POST /login/email/verify` (docs/email-sign-in.md): a link and a code
 * mailed to the stored address, bound to the client that asked, spent through the one sign-in
 * pipeline — which throttles, asks the second factor and opens the session.
 */
export const emailSignInRoutes: FastifyPluginAsyncTypebox<EmailSignInRoutesOptions> = async (
  app,
  { options, emailSignIn, signIn, throttle, mailThrottle, outbox, audit },
) => {
  app.post(
    '/login/email',
    {
      schema: {
        tags: TAG,
        operationId: 'requestEmailSignIn',
        summary: 'Mail a sign-in link and a 6-digit code',
        description:
          'Always 202, whether or not the email belongs to an account (no enumeration); throttled like /forgot-password. A browser gets a binding cookie: the link and the code work in that browser only. With `transport: "bearer"`, the answer is `{request_id}` instead, to send back with the code (no link is mailed). Both live 10 minutes and work once.',
        security: [],
        body: EmailSignInBody,
        response: {
          202: Type.Union([EmailSignInAccepted, Type.Null({ description: 'Accepted (browser); the same answer whether or not the account exists' })]),
          413: ErrorBody,
          415: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      await mailThrottle('email-sign-in', { email, ip: request.ip });
      const transport = request.body.transport ?? 'cookie';
      // A fresh binding whatever the address: the answer says nothing about the account.
      const binding = transport === 'bearer' ? generateToken() : startBinding(reply, options);
      // The lookup, the codes and the mail happen after the answer (src/mail/outbox.ts): same body, same timing.
      outbox.enqueue(() => emailSignIn.mailFor(email, binding, transport), { to: email });
      if (transport === 'bearer') return reply.code(202).send({ request_id: binding });
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/login/email/verify',
    {
      schema: {
        tags: TAG,
        operationId: 'finishEmailSignIn',
        summary: 'Sign in with the mailed link or code',
        description:
          '`{token}` (the link) or `{email, code}` from the browser that asked: 204 + auth cookie. `{email, code, request_id}` (API clients): 200 bearer token. A link opened in another browser is 403 EMAIL_SIGN_IN_OTHER_BROWSER and stays usable where it was asked for. Wrong codes count as failed logins; the fifth kills the code. An account with two-factor sign-in still gives its code: `otp` here, or (browsers) POST /login/otp after 401 LOGIN_OTP_REQUIRED. The account becomes verified.',
        security: [],
        body: EmailSignInVerifyBody,
        response: {
          200: TokenResponse,
          204: NoContent,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      // What the proof found, for spending it: set inside `prove`, read after the pipeline ran.
      const proven: { proof: EmailSignInProof | null } = { proof: null };
      const bearer = !('token' in body) && body.request_id !== undefined;
      const failure: ErrorCode = 'token' in body ? 'EMAIL_SIGN_IN_BAD_LINK' : 'EMAIL_SIGN_IN_BAD_CODE';
      /** Spends the proof, recording what reading the mail did to the account. */
      const spend = async (proof: EmailSignInProof) => {
        const user = await emailSignIn.spend(proof);
        if (user) {
          const who = { actorUserId: user.id, subjectUserId: user.id };
          if (proof.created) await auditEvent(audit, request, 'user.registered', { method: 'email' }, who);
          else if (!proof.user.isVerified) await auditEvent(audit, request, 'email.verified', { email: user.email }, who);
        }
        return user;
      };
      const claim = async () => {
        if (!proven.proof || !(await spend(proven.proof))) throw new AuthError(failure);
      };
      const settings = throttle.settings;
      const attempt: SignInAttempt =
        'token' in body
          ? {
              method: 'email_link',
              // A link cannot be guessed (256 bits): counted per address only, so nobody can lock
              // an account's sign-in by mail by sending junk for its email.
              keys: [throttle.customKey('email-link:ip', request.ip, settings.addressLimit, settings.loginWindowSeconds)],
              failure,
              prove: async () => {
                const proof = await emailSignIn.proveLink(body.token, readBinding(request, options));
                proven.proof = proof;
                return { user: proof.user, amr: ['email'], secondFactor: { otp: undefined }, claim };
              },
            }
          : {
              method: 'email_code',
              // A code can be guessed: the same counters as a password for this email (a wrong code is a failed login).
              keys: throttle.loginKeys(body.email, request.ip),
              failure,
              // For the audit log, asked only after a failure, for unknown and known emails alike.
              subjectOnFailure: () => emailSignIn.accountIdOf(body.email),
              prove: async () => {
                const binding = bearer ? body.request_id : readBinding(request, options);
                const proof = await emailSignIn.proveCode(body.email, body.code, binding, bearer ? 'bearer' : 'cookie');
                proven.proof = proof;
                return proof && { user: proof.user, amr: ['email'], secondFactor: { otp: body.otp }, claim };
              },
            };
      const result = await signIn.signIn(attempt, clientInfoOf(request));
      if (bearer) return reply.code(200).send(answerSignIn(request, reply, options, result, 'bearer'));
      if (result.kind === 'second-factor-required') {
        // The mail did its part: spent now, so it cannot start a second pending sign-in; the code
        // from the authenticator finishes with POST /login/otp (docs/two-factor.md).
        const user = proven.proof === null ? null : await spend(proven.proof);
        if (!user) throw new AuthError(failure);
        answerSignIn(request, reply, options, { ...result, user }, 'cookie');
        clearBinding(reply, options);
        throw new AuthError('LOGIN_OTP_REQUIRED');
      }
      answerSignIn(request, reply, options, result, 'cookie');
      clearBinding(reply, options);
      return reply.code(204).send(null);
    },
  );
};
