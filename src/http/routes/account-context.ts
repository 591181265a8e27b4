import type { preHandlerAsyncHookHandler } from 'fastify';
import type { AccountService } from '../../core/account-service.js';
import type { AccountTokens } from '../../core/account-tokens.js';
import type { AuditLog } from '../../core/audit.js';
import type { MailOutbox } from '../../mail/outbox.js';
import type { ResolvedAuthOptions } from '../../core/options.js';

/** Which mail-sending request is being throttled. */
export type MailAction = 'forgot-password' | 'request-verify-token' | 'email-sign-in';

/**
 * A throttle for the mail-sending routes, per address and per account (docs/security.md). It resolves to
 * let the request through, or rejects with `AuthError('TOO_MANY_REQUESTS', …, { retryAfter })`,
 * which becomes a 429 with `Retry-After`. It runs before anything else, so the answer for a
 * throttled request does not depend on whether the account exists either.
 */
export type MailThrottle = (action: MailAction, key: { email: string; ip: string }) => Promise<void>;

/** What the account-lifecycle routes are given by the plugin. */
export interface AccountRoutesOptions {
  account: AccountService;
  tokens: AccountTokens;
  outbox: MailOutbox;
  options: ResolvedAuthOptions;
  authenticate: preHandlerAsyncHookHandler;
  superuser: preHandlerAsyncHookHandler;
  /** Security events (docs/audit.md), recorded with `auditEvent` from http/audit.ts. */
  audit: AuditLog;
  /** Optional throttle of forgot-password / request-verify-token; default none. */
  throttle?: MailThrottle;
}

/*
 * The account routes run their guard at `preValidation`, so an anonymous or unprivileged caller
 * gets 401/403 before any 422 (as FastAPI resolves its auth dependency before the body) and
 * learns nothing about the body schema of routes it may not call.
 */

/** OpenAPI: routes that need a bearer token or the cookie. */
export const SECURITY = [{ OAuth2PasswordBearer: [] }];
