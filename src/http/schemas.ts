import { Type, type Static } from 'typebox';
import { OAUTH_ERROR_CODES } from './oauth-error.js';

/**
 * Route schemas: the single source of validation (Ajv), TypeScript types (TypeBox's `Static`)
 * and OpenAPI (@fastify/swagger reads them as they are, since TypeBox *is* JSON Schema).
 */

/** RFC 5321 caps a forward path at 256 octets; 320 is the customary column limit. */
export const EMAIL_MAX_LENGTH = 320;
/** Longest password accepted at the schema layer; the policy (default 1024) decides below it. */
export const PASSWORD_SCHEMA_MAX_LENGTH = 4096;

/** No control characters (NUL, CR, LF, …) in an identifier: they are never part of an address, and NUL breaks PostgreSQL text. */
export const NO_CONTROL_CHARACTERS = '^[^\\p{Cc}]*$';
/** No NUL in a password: bcrypt (C strings) would silently end the password there. */
export const NO_NUL = '^[^\\u0000]*$';

export const Email = Type.String({ format: 'email', maxLength: EMAIL_MAX_LENGTH, description: 'Email address' });
export const Password = Type.String({ minLength: 1, maxLength: PASSWORD_SCHEMA_MAX_LENGTH, pattern: NO_NUL, description: 'Password' });
/** An email as typed at login: not format-checked (an unknown email must answer like a wrong password), but no control characters. */
export const LoginIdentifier = Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH, pattern: NO_CONTROL_CHARACTERS });

export const PublicUser = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    is_active: Type.Boolean(),
    is_superuser: Type.Boolean(),
    is_verified: Type.Boolean(),
  },
  { $id: 'PublicUser', additionalProperties: false },
);

export const ErrorBody = Type.Object(
  {
    detail: Type.Unknown({ description: 'A sentence, or for 422 a list of {loc, msg, type}' }),
    code: Type.String({ description: 'A code from the error registry' }),
    error: Type.Optional(Type.String({ description: 'RFC 6749 §5.2-style error, where one applies (e.g. mfa_required)' })),
  },
  { $id: 'ErrorBody' },
);

/** The token endpoint's error body: ours plus RFC 6749 §5.2's members (src/http/oauth-error.ts). */
export const OAuthErrorBody = Type.Object(
  {
    detail: ErrorBody.properties.detail,
    code: ErrorBody.properties.code,
    // `mfa_required` (LOGIN_OTP_REQUIRED) is not an RFC 6749 code; it comes from the error registry (docs/two-factor.md).
    error: Type.Optional(
      Type.Union(
        [...OAUTH_ERROR_CODES, 'mfa_required'].map((code) => Type.Literal(code)),
        { description: 'RFC 6749 §5.2 error code, or mfa_required' },
      ),
    ),
    error_description: Type.Optional(Type.String({ description: 'RFC 6749 §5.2 human-readable ASCII text' })),
  },
  { $id: 'OAuthErrorBody' },
);

export const RegisterBody = Type.Object({ email: Email, password: Password });
export type RegisterBody = Static<typeof RegisterBody>;

/** A TOTP code (6 digits) or a recovery code (`xxxx-xxxx-xxxx-xxxx`), as typed. */
export const OneTimeCode = Type.String({ minLength: 1, maxLength: 64, pattern: NO_CONTROL_CHARACTERS, description: 'A 6-digit TOTP code or a recovery code' });
/** The optional second factor of `/token` and `/login` (docs/two-factor.md). */
const OTPField = Type.Optional({ ...OneTimeCode, description: 'Second factor, for accounts with two-factor sign-in: a TOTP code or a recovery code' });

/** OAuth2 password grant (RFC 6749 §4.3.2) as FastAPI's `OAuth2PasswordRequestForm`. */
export const TokenForm = Type.Object({
  username: Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH, pattern: NO_CONTROL_CHARACTERS, description: 'The email' }),
  password: Password,
  grant_type: Type.Optional(Type.Literal('password')),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
  client_id: Type.Optional(Type.String({ maxLength: 1024 })),
  client_secret: Type.Optional(Type.String({ maxLength: 1024 })),
  otp: OTPField,
});
export type TokenForm = Static<typeof TokenForm>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
});

export const LoginForm = Type.Object({
  email: LoginIdentifier,
  password: Password,
  otp: OTPField,
});
export type LoginForm = Static<typeof LoginForm>;

export const CSRFTokenResponse = Type.Object({
  csrf_token: Type.String({ description: 'Send it as the x-csrftoken header with cookie-authenticated unsafe requests' }),
});

export const NoContent = Type.Null({ description: 'No content' });

export const HealthResponse = Type.Object({ status: Type.String() });

// Account lifecycle (docs/api.md, "Account lifecycle").

/** Reset and verification tokens are 43 characters; anything up to this length is "bad token", not 422. */
export const ACTION_TOKEN_MAX_LENGTH = 256;
const ActionToken = Type.String({ minLength: 1, maxLength: ACTION_TOKEN_MAX_LENGTH, description: 'The token from the link in the mail' });

export const EmailBody = Type.Object({ email: Email });
export type EmailBody = Static<typeof EmailBody>;

export const ResetPasswordBody = Type.Object({ token: ActionToken, password: Password });
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

export const VerifyBody = Type.Object({ token: ActionToken });
export type VerifyBody = Static<typeof VerifyBody>;

/** 202 answers carry `null`, as fastapi-users' do: nothing that could tell accounts apart. */
export const Accepted = Type.Null({ description: 'Accepted; the same answer whether or not the account exists' });

export const UpdateMeBody = Type.Object({
  email: Type.Optional(Email),
  password: Type.Optional(Password),
  current_password: Password,
});
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const DeleteMeBody = Type.Object({ current_password: Password });
export type DeleteMeBody = Static<typeof DeleteMeBody>;

export const SessionInfo = Type.Object({
  id: Type.String({ description: 'Public session id (not the token)' }),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.String({ format: 'date-time' }),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'True for the session making this request' }),
});
export const SessionList = Type.Array(SessionInfo);

export const SessionIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type SessionIdParams = Static<typeof SessionIdParams>;

/** Largest page of `GET /users`. */
export const MAX_USERS_PAGE = 100;
/**
 * Upper bound of every integer taken from a URL (ids, offsets): PostgreSQL's `integer` and well
 * inside SQLite's 64-bit one. Without it a query string such as `offset=1e20` reaches the
 * database as a number it cannot bind — a 500 instead of a 422 (docs/security-hardening.md).
 */
export const MAX_URL_INTEGER = 2_147_483_647;
export const UserListQuery = Type.Object({
  offset: Type.Integer({ minimum: 0, maximum: MAX_URL_INTEGER, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_USERS_PAGE, default: MAX_USERS_PAGE }),
});
export type UserListQuery = Static<typeof UserListQuery>;

export const UserIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_URL_INTEGER }) });
export type UserIdParams = Static<typeof UserIdParams>;

export const AdminUpdateBody = Type.Object({
  email: Type.Optional(Email),
  password: Type.Optional(Password),
  is_active: Type.Optional(Type.Boolean()),
  is_superuser: Type.Optional(Type.Boolean()),
  is_verified: Type.Optional(Type.Boolean()),
});
export type AdminUpdateBody = Static<typeof AdminUpdateBody>;

export const PublicUserList = Type.Array(PublicUser);

// The pending sign-in's one-time code (docs/two-factor.md).

export const OTPForm = Type.Object({ otp: OneTimeCode });
export type OTPForm = Static<typeof OTPForm>;

/** One proof of identity for `POST /users/me/reauthenticate` (docs/security.md, "Recent authentication"). */
export const ReauthenticateBody = Type.Object(
  {
    current_password: Type.Optional(Password),
    otp: Type.Optional(OneTimeCode),
    // Checked in depth by the passkey capability (WebAuthn Level 3 toJSON()); here only its shape.
    passkey: Type.Optional(
      Type.Object(
        { id: Type.String({ minLength: 1, maxLength: 1400 }), type: Type.Literal('public-key'), response: Type.Object({}, { additionalProperties: true }) },
        { additionalProperties: true, description: 'A PublicKeyCredential assertion against the challenge of POST /passkeys/login/options' },
      ),
    ),
  },
  { minProperties: 1, maxProperties: 1, additionalProperties: false, description: 'Exactly one of: current_password, otp (TOTP on), passkey' },
);
export type ReauthenticateBody = Static<typeof ReauthenticateBody>;
