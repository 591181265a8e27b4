import { createHash } from 'node:crypto';
import type { AuthenticationMethod } from './sign-in.js';

/**
 * The security events the audit log records (docs/audit.md), each with the exact shape of its
 * `detail`. Details are narrow on purpose: they carry ids, names, counts and flags, never a
 * password, token, code, secret or key (OWASP Logging CS, "Data to exclude"); a new event type
 * is added here, with its detail, and documented in docs/audit.md.
 */
export interface AuditDetails {
  /** A session opened. `method`: the way in; `amr`: the RFC 8176 methods it proved. */
  'sign_in.succeeded': { method: SignInMethod; amr: AuthenticationMethod[] };
  /** A sign-in refused after its proof ran (throttled attempts are not recorded). `reason`: the error code answered. */
  'sign_in.failed': { method: SignInMethod; reason: string };
  /** A session ended by its own holder (`POST /logout`). */
  sign_out: Record<string, never>;
  'password.changed': Record<string, never>;
  'password.reset': Record<string, never>;
  'email.changed': { previous_email: string; email: string };
  'email.verified': { email: string };
  'totp.enabled': Record<string, never>;
  'totp.disabled': Record<string, never>;
  /** A recovery code spent; `remaining`: unused codes left. */
  'recovery_code.used': { remaining: number };
  'passkey.added': { passkey_id: number; name: string };
  'passkey.removed': { passkey_id: number };
  'provider.linked': { provider: string };
  'provider.unlinked': { provider: string };
  /** Sessions ended from the sessions list (or by a change that revokes them); `count`: how many went. */
  'session.revoked': { scope: 'one' | 'others' | 'all'; count: number };
  'user.registered': { method: 'password' | 'provider' | 'email' };
  'user.deleted': Record<string, never>;
  /** A superuser changed a user (`PATCH /users/{id}`): the fields set, with their new values. */
  'admin.user_updated': { changes: AdminUserChanges };
  'admin.user_deleted': { email: string };
  /** The command line made a user (`create-user`); `command`: which. */
  'cli.user_created': { command: string; is_superuser: boolean };
  /** One `import` run: how many users it made and skipped, and the provider identities it linked (one event, not one per row). */
  'cli.users_imported': { command: 'import'; imported: number; duplicates: number; invalid: number; linked: number };
  'api_key.created': { key_id: number; name: string; org_id?: number };
  'api_key.revoked': { key_id: number; org_id?: number };
  'oauth_consent.granted': { client_id: string; scopes: string[] };
  'oauth_consent.revoked': { client_id: string };
  'organization.created': { name: string };
  'organization.updated': { fields: string[] };
  'organization.deleted': { name: string };
  'membership.added': { role: string };
  'membership.changed': { role: string; previous_role: string };
  'membership.removed': { role: string };
  /** A superuser opened a session as the subject; `reason`: the one they gave; `expires_at`: ISO 8601. */
  'impersonation.started': { reason: string; expires_at: string };
  /** An impersonation session ended: stopped, signed out, or found expired. */
  'impersonation.ended': { how: 'stopped' | 'signed_out' };
  /** Events older than the retention were deleted; the chain continues from `through_id`'s hash. */
  'audit.pruned': { before: string; count: number; through_id: number; through_hash: string };
}

/** How a sign-in proved its first factor. */
export type SignInMethod = 'password' | 'otp' | 'passkey' | 'provider' | 'email_link' | 'impersonation' | (string & {});

/** The user fields an administrator may change, as recorded: new values only, and `password: true` for a new password. */
export interface AdminUserChanges {
  email?: string;
  password?: true;
  is_active?: boolean;
  is_superuser?: boolean;
  is_verified?: boolean;
}

/** Every event type. */
export type AuditEventType = keyof AuditDetails;

/** Every event type, in one list (docs, filters, tests). */
export const AUDIT_EVENT_TYPES = Object.freeze([
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_out',
  'password.changed',
  'password.reset',
  'email.changed',
  'email.verified',
  'totp.enabled',
  'totp.disabled',
  'recovery_code.used',
  'passkey.added',
  'passkey.removed',
  'provider.linked',
  'provider.unlinked',
  'session.revoked',
  'user.registered',
  'user.deleted',
  'admin.user_updated',
  'admin.user_deleted',
  'cli.user_created',
  'cli.users_imported',
  'api_key.created',
  'api_key.revoked',
  'oauth_consent.granted',
  'oauth_consent.revoked',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'membership.added',
  'membership.changed',
  'membership.removed',
  'impersonation.started',
  'impersonation.ended',
  'audit.pruned',
] as const satisfies readonly AuditEventType[]);

/** Who and where, common to every event. */
export interface AuditContext {
  /** Who did it: the signed-in user, the impersonating superuser, or `null` (the CLI, an anonymous failure). */
  actorUserId: number | null;
  /** Whom it concerns (the account changed or signed in to), or `null` when unknown. */
  subjectUserId: number | null;
  /** The organization it happened in, if any. */
  orgId?: number | null;
  ip: string | null;
  userAgent: string | null;
}

/** One event to record: a type, its detail, and who and where. */
export type AuditEvent = { [T in AuditEventType]: AuditContext & { type: T; detail: AuditDetails[T] } }[AuditEventType];

/** An event as stored: its place in the chain and its hash. */
export type AuditRecord = AuditEvent & {
  id: number;
  at: Date;
  /** The previous event's hash ({@link GENESIS_HASH} for the first). */
  prevHash: string;
  /** SHA-256 (hex) of {@link canonicalAuditRow}: any edit shows. */
  hash: string;
};

/** The `prev_hash` of the first event of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Longest user agent kept (as for sessions). */
export const MAX_AUDIT_USER_AGENT = 512;

/**
 * Records security events. `record` resolves once the event is stored (a failure to store is the
 * caller's failure: an action whose record is lost must not look recorded).
 */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** The log that records nothing (a store without an audit table, unit tests of other services). */
export const NO_AUDIT_LOG: AuditLog = { record: async () => {} };

/**
 * `detail` as stored and hashed: JSON with keys sorted at every level, so the same detail is
 * always the same text whatever order it was built in.
 */
export function canonicalDetail(detail: object): string {
  return JSON.stringify(sortKeys(detail));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) sorted[key] = sortKeys(item);
  }
  return sorted;
}

/** The fields of a row that its hash covers, as stored. */
export interface HashedAuditRow {
  id: number;
  at: Date;
  actorUserId: number | null;
  subjectUserId: number | null;
  orgId: number | null;
  type: string;
  ip: string | null;
  userAgent: string | null;
  /** The stored (canonical) detail text. */
  detail: string;
  prevHash: string;
}

/**
 * The one encoding a row's hash is computed over: a JSON array of every field in a fixed order,
 * the previous hash last. JSON keeps field boundaries unambiguous (no "ab"+"c" = "a"+"bc").
 */
export function canonicalAuditRow(row: HashedAuditRow): string {
  return JSON.stringify([
    row.id,
    row.at.toISOString(),
    row.actorUserId,
    row.subjectUserId,
    row.orgId,
    row.type,
    row.ip,
    row.userAgent,
    row.detail,
    row.prevHash,
  ]);
}

/** SHA-256 (hex) of the row's canonical encoding: a hash chain (as in RFC 6962's log, linearly) where editing or removing a row breaks every later link. */
export function auditRowHash(row: HashedAuditRow): string {
  return createHash('sha256').update(canonicalAuditRow(row)).digest('hex');
}
