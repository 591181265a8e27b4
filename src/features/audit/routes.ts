import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { preHandlerAsyncHookHandler } from 'fastify';
import { AuthError } from '../../core/errors.js';
import { firstPartySession } from '../../http/guard.js';
import { SECURITY } from '../../http/routes/account-context.js';
import { ErrorBody } from '../../http/schemas.js';
import type { AuditStore } from './audit-store.js';
import { toEventView } from './event-view.js';
import { AdminEventsQuery, AuditEventList, MyEventsQuery } from './schemas.js';

export interface AuditRoutesOptions {
  store: AuditStore;
  /** First-party sessions (the account's own page). */
  authenticate: preHandlerAsyncHookHandler;
  superuser: preHandlerAsyncHookHandler;
}

/**
 * Reading the audit log: `GET /users/me/events` (the caller's own events, for "Recent security
 * activity") and `GET /admin/events` (superuser). Both page by id, newest first: the next page
 * asks `before` the last id seen, which stays right while new events arrive (an offset would
 * shift).
 */
export const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, { store, authenticate, superuser }) => {
  app.get(
    '/users/me/events',
    {
      preValidation: authenticate,
      schema: {
        tags: ['users'],
        operationId: 'listMyEvents',
        summary: 'My recent security events (sign-ins, changes to the account), newest first',
        security: SECURITY,
        querystring: MyEventsQuery,
        response: { 200: AuditEventList, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const { limit, before } = request.query;
      const events = await store.list({ subjectUserId: firstPartySession(request).user.id, beforeId: before, limit });
      return events.map(toEventView);
    },
  );

  app.get(
    '/admin/events',
    {
      preValidation: superuser,
      schema: {
        tags: ['admin'],
        operationId: 'listEvents',
        summary: 'Security events of every user, filtered (superuser)',
        security: SECURITY,
        querystring: AdminEventsQuery,
        response: { 200: AuditEventList, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const { user_id: userId, type, since, before, limit } = request.query;
      const sinceDate = since === undefined ? undefined : new Date(since);
      if (sinceDate !== undefined && Number.isNaN(sinceDate.getTime())) throw new AuthError('VALIDATION_ERROR', 'since: not a time');
      const events = await store.list({ userId, type, since: sinceDate, beforeId: before, limit });
      return events.map(toEventView);
    },
  );
};
