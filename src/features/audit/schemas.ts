import { type Static, Type } from 'typebox';
import { AUDIT_EVENT_TYPES } from '../../core/audit.js';
import { MAX_URL_INTEGER } from '../../http/schemas.js';

/** Events per page of `GET /users/me/events` and `GET /admin/events`, at most. */
export const MAX_EVENTS_PAGE = 200;

const NullableId = Type.Union([Type.Integer(), Type.Null()]);

/** One security event as the routes show it (docs/audit.md): what happened, who, where; the hashes stay with `events export`. */
export const AuditEventView = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  actor_user_id: NullableId,
  subject_user_id: NullableId,
  org_id: NullableId,
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Object({}, { additionalProperties: true, description: 'The event\'s detail fields (docs/audit.md, "Event types")' }),
});

export const AuditEventList = Type.Array(AuditEventView);

export const MyEventsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: MAX_EVENTS_PAGE, default: 20 }),
  before: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_URL_INTEGER, description: 'Only events with a smaller id: the `id` of the last event of the previous page' }),
  ),
});
export type MyEventsQuery = Static<typeof MyEventsQuery>;

export const AdminEventsQuery = Type.Object({
  user_id: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_URL_INTEGER, description: 'Events whose subject or actor is this user' })),
  type: Type.Optional(Type.Union(AUDIT_EVENT_TYPES.map((t) => Type.Literal(t)))),
  since: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'Events at or after this time (RFC 3339)' })),
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_URL_INTEGER })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_EVENTS_PAGE, default: 50 }),
});
export type AdminEventsQuery = Static<typeof AdminEventsQuery>;
