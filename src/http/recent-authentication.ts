import type { preHandlerAsyncHookHandler } from 'fastify';
import type { RecentAuthentication } from '../core/recent-authentication.js';
import { firstPartySession } from './guard.js';

/**
 * A preHandler for a route that adds a way into the account (a passkey, a provider link, …):
 * after `app.authenticate`, it answers 403 `REAUTHENTICATION_REQUIRED` unless the session is
 * recently authenticated (docs/security.md, "Recent authentication"). A body that carries
 * `current_password` is checked instead (401 when wrong, throttled) and counts as recent.
 */
export function requireRecentAuthentication(recent: RecentAuthentication): preHandlerAsyncHookHandler {
  return async (request) => {
    const body = request.body as { current_password?: unknown } | null | undefined;
    const currentPassword = typeof body === 'object' && body !== null && typeof body.current_password === 'string' ? body.current_password : undefined;
    await recent.require(firstPartySession(request), currentPassword, { ip: request.ip });
  };
}
