import type { Generated } from 'kysely';

/**
 * Tables named as the FastAPI note names them (docs/migrating-from-fastapi.md), so a database made by the FastAPI note maps 1:1.
 * Times and booleans differ by dialect (ISO text and 0/1 on SQLite, timestamptz and boolean on
 * PostgreSQL); `sql-store.ts` converts at the edge.
 */
export interface Database {
  users: UsersTable;
  access_tokens: AccessTokensTable;
  action_tokens: ActionTokensTable;
  totp_secrets: TOTPSecretsTable;
  recovery_codes: RecoveryCodesTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebAuthnChallengesTable;
  oauth_accounts: OAuthAccountsTable;
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  api_keys: ApiKeysTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  email_sign_ins: EmailSignInsTable;
}

export type DbTime = string | Date;
export type DbBool = number | boolean;

export interface UsersTable {
  id: Generated<number>;
  email: string;
  hashed_password: string;
  is_active: DbBool;
  is_superuser: DbBool;
  is_verified: DbBool;
  created_at: DbTime;
  updated_at: DbTime;
}

export interface AccessTokensTable {
  /** SHA-256 hex digest of the token (docs/migrating-from-fastapi.md): the token itself is never stored. */
  token: string;
  user_id: number;
  expiration_date: DbTime;
  created_at: DbTime;
  last_used_at: DbTime;
  user_agent: string | null;
  ip: string | null;
  /** When the session last proved a factor; `null` only in rows older than the column (read as `created_at`). */
  authenticated_at: DbTime | null;
  /** RFC 8176 method values, space-separated (`pwd otp`). */
  amr: string | null;
  /** The superuser acting as this user (an impersonation session, migration 0008), or `null`. */
  impersonator_id: number | null;
}

export interface ActionTokensTable {
  /** SHA-256 hex digest of the reset or verification token; the token itself is never stored. */
  token: string;
  purpose: string;
  user_id: number;
  email: string;
  password_fingerprint: string | null;
  expiration_date: DbTime;
  created_at: DbTime;
}

export interface TOTPSecretsTable {
  user_id: number;
  /** AES-256-GCM ciphertext of the secret (docs/two-factor.md); never the secret itself. */
  encrypted_secret: string;
  confirmed: DbBool;
  /** PostgreSQL's bigint arrives as a string. */
  last_used_step: number | string | null;
  created_at: DbTime;
}

export interface RecoveryCodesTable {
  /** SHA-256 hex digest of the normalised code. */
  digest: string;
  user_id: number;
  used_at: DbTime | null;
  created_at: DbTime;
}

export interface PasskeysTable {
  id: Generated<number>;
  user_id: number;
  /** base64url, as WebAuthn names the credential. */
  credential_id: string;
  /** base64url of the COSE public key. */
  public_key: string;
  counter: number | string;
  /** Comma-separated authenticator transports (`usb`, `internal`, …). */
  transports: string;
  name: string;
  created_at: DbTime;
  last_used_at: DbTime | null;
}

export interface WebAuthnChallengesTable {
  /** SHA-256 hex digest of the challenge. */
  digest: string;
  purpose: string;
  user_id: number | null;
  expiration_date: DbTime;
}

export type Dialect = 'sqlite' | 'postgres';

export interface OAuthAccountsTable {
  id: Generated<number>;
  user_id: number;
  /** The provider's configured name (`github`, `google`, …). */
  oauth_name: string;
  /** The provider's subject: the ID token's `sub`, or GitHub's numeric user id. */
  account_id: string;
  account_email: string;
  /** Whether the provider asserted `account_email` verified at link time (migration 0006). */
  email_verified: DbBool;
  created_at: DbTime;
}

export interface OrganizationsTable {
  id: Generated<number>;
  name: string;
  /** `[a-z0-9-]{2,48}`, unique. */
  slug: string;
  require_mfa: DbBool;
  created_at: DbTime;
}

export interface MembershipsTable {
  org_id: number;
  user_id: number;
  /** `owner`, `admin` or `member` (a CHECK constraint holds the list). */
  role: string;
  joined_at: DbTime;
}

export interface InvitationsTable {
  id: Generated<number>;
  org_id: number;
  /** The invited address, normalised as users' emails are. */
  email: string;
  role: string;
  /** SHA-256 hex digest of the invitation token; the token itself is never stored. */
  token_digest: string;
  invited_by: number;
  expires_at: DbTime;
  accepted_at: DbTime | null;
  created_at: DbTime;
}

export interface ApiKeysTable {
  id: Generated<number>;
  user_id: number;
  org_id: number | null;
  name: string;
  /** The key's public start (`fu_1a2b3c4d`), shown in lists. */
  prefix: string;
  /** SHA-256 hex digest of the whole key; the key itself is never stored. */
  digest: string;
  /** JSON array of scope names. */
  scopes: string;
  expires_at: DbTime | null;
  last_used_at: DbTime | null;
  created_at: DbTime;
  revoked: DbBool;
}

/** One security event (docs/audit.md); rows are only appended, and pruned by age. */
export interface AuditEventsTable {
  /** Consecutive, given by `audit_head` (PostgreSQL's bigint arrives as a string). */
  id: number | string;
  at: DbTime;
  actor_user_id: number | null;
  subject_user_id: number | null;
  org_id: number | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  /** Canonical JSON text (sorted keys), exactly what the hash covers. */
  detail: string;
  prev_hash: string;
  /** SHA-256 hex of the row's canonical encoding and `prev_hash`. */
  hash: string;
}

/** The audit chain's head, one row (`id` 1): every append locks it first. */
export interface AuditHeadTable {
  id: number;
  last_id: number | string;
  last_hash: string;
}
/** Sign-in requests by email link or code (migration 0011, docs/email-sign-in.md): digests only. */
export interface EmailSignInsTable {
  id: Generated<number>;
  user_id: number | null;
  email: string;
  link_digest: string | null;
  code_digest: string;
  binding_digest: string;
  transport: string;
  attempts: Generated<number>;
  expires_at: DbTime;
  used_at: DbTime | null;
  created_at: DbTime;
}
