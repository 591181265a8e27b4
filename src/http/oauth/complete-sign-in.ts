import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService } from '../../core/auth-service.js';
import type { User } from '../../core/user.js';
import { clientOf } from '../routes/auth.js';
import { markSessionChange } from '../session-change.js';
import { setAuthCookie } from '../transport.js';

/**
 * The last step of a sign-in through a provider, exactly as `/login` does it: a new session row,
 * the auth cookie, and a fresh CSRF cookie bound to the new session (`markSessionChange`).
 * One function on purpose: a user with a second factor is to be routed to it from here instead.
 */
export async function completeSignIn(request: FastifyRequest, reply: FastifyReply, service: AuthService, user: User): Promise<void> {
  const issued = await service.issueToken(user, clientOf(request));
  setAuthCookie(reply, service.options, issued.token);
  markSessionChange(request, issued.digest);
}
