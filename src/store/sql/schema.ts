import type { Generated } from 'kysely';

/**
 * Tables as SPEC §3 names them, so a database made by the FastAPI note maps 1:1.
 * Times and booleans differ by dialect (ISO text and 0/1 on SQLite, timestamptz and boolean on
 * PostgreSQL); `sql-store.ts` converts at the edge.
 */
export interface Database {
  users: UsersTable;
  access_tokens: AccessTokensTable;
  action_tokens: ActionTokensTable;
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
  /** SHA-256 hex digest of the token (SPEC §3): the token itself is never stored. */
  token: string;
  user_id: number;
  expiration_date: DbTime;
  created_at: DbTime;
  last_used_at: DbTime;
  user_agent: string | null;
  ip: string | null;
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

export type Dialect = 'sqlite' | 'postgres';
