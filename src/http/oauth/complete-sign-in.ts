import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { TwoFactorService } from '../../core/two-factor.js';
import type { User } from '../../core/user.js';
import { startPendingSignIn } from '../pending-sign-in.js';
import { clientOf } from '../routes/auth.js';
import { markSessionChange } from '../session-change.js';
import { setAuthCookie } from '../transport.js';

/** How a sign-in through a provider ended: a session, or a wait for the one-time code. */
export type SignInResult = 'signed-in' | 'otp-required';

/**
 * The last step of a sign-in through a provider, exactly as `/login` does it: a new session row,
 * the auth cookie, and a fresh CSRF cookie bound to the new session (`markSessionChange`). A user
 * with two-factor sign-in gets no session here: the provider stands for the first factor only, so
 * the browser gets the pending-sign-in cookie and must finish with `POST /login/otp`
 * (docs/two-factor.md), as after a password.
 */
export async function completeSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  services: { service: AuthService; twoFactor: TwoFactorService },
  user: User,
): Promise<SignInResult> {
  const { service, twoFactor } = services;
  if ((await twoFactor.checkSignIn(user, undefined)) === 'required') {
    startPendingSignIn(reply, service.options, user);
    return 'otp-required';
  }
  const issued = await service.issueToken(user, clientOf(request));
  setAuthCookie(reply, service.options, issued.token);
  markSessionChange(request, issued.digest);
  return 'signed-in';
}
