import { Type, type Static } from 'typebox';
import { NO_CONTROL_CHARACTERS, Password } from '../../http/schemas.js';
import { MAX_API_KEY_LIFETIME_SECONDS } from './api-keys.js';

// API keys (docs/api-keys.md).

/**
 * A scope name: what `app.requireScopes(...)` asks for on a host route (`invoices:read`). Letters,
 * digits and `_ . : -`, so that a list of them reads unambiguously in a `WWW-Authenticate`
 * challenge (RFC 6750 §3: space-separated, no quotes or backslashes).
 */
export const ScopeName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });

export const ApiKeyCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: NO_CONTROL_CHARACTERS, description: 'What the key is for, shown in the list' }),
  scopes: Type.Optional(
    Type.Array(ScopeName, {
      maxItems: 32,
      description: 'Scopes the key holds (default none: `GET /users/me` and host routes that ask for no scope)',
    }),
  ),
  expires_in: Type.Optional(
    Type.Integer({ minimum: 60, maximum: MAX_API_KEY_LIFETIME_SECONDS, description: 'Lifetime in seconds (default 90 days, at most 366 days)' }),
  ),
  current_password: Type.Optional({ ...Password, description: 'Counts as recent authentication (docs/security.md) for a session past its window' }),
});
export type ApiKeyCreateBody = Static<typeof ApiKeyCreateBody>;

const apiKeyFields = {
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: 'The public start of the key, to recognise it' }),
  scopes: Type.Array(Type.String()),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
};
/** A key just made: the only answer that carries the key itself. */
export const ApiKeyCreated = Type.Object({ ...apiKeyFields, key: Type.String({ description: 'The key: shown once, never again' }) });
/** A key in the list: never the key. */
export const ApiKeyInfo = Type.Object({ ...apiKeyFields, last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) });
export const ApiKeyList = Type.Array(ApiKeyInfo);

export const ApiKeyIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type ApiKeyIdParams = Static<typeof ApiKeyIdParams>;
