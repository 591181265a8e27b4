import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { SecondFactor } from '../../core/second-factor.js';
import type { User } from '../../core/user.js';
import { startPendingSignIn } from '../../http/pending-sign-in.js';
import { clientInfoOf } from '../../http/routes/auth.js';
import { recordSessionOpened } from '../../http/session-change.js';
import { setAuthCookie } from '../../http/transport.js';

/** How a sign-in through a provider ended: a session, or a wait for the one-time code. */
export type SignInResult = 'signed-in' | 'otp-required';

/**
 * The last step of a sign-in through a provider, exactly as `/login` does it: a new session row,
 * the auth cookie, and a fresh CSRF cookie bound to the new session (`recordSessionOpened`/`recordSessionEnded`). A user
 * with two-factor sign-in gets no session here: the provider stands for the first factor only, so
 * the browser gets the pending-sign-in cookie and must finish with `POST /login/otp`
 * (docs/two-factor.md), as after a password.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  services: { service: AuthService; secondFactor: SecondFactor },
  user: User,
): Promise<SignInResult> {
  const { service, secondFactor } = services;
  if ((await secondFactor.checkSignIn(user, undefined)) === 'required') {
    startPendingSignIn(reply, service.options, user);
    return 'otp-required';
  }
  const issued = await service.issueToken(user, clientInfoOf(request));
  setAuthCookie(reply, service.options, issued.token);
  recordSessionOpened(request, issued.digest);
  return 'signed-in';
}
