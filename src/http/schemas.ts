import { Type, type Static } from 'typebox';

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
  },
  { $id: 'ErrorBody' },
);

export const RegisterBody = Type.Object({ email: Email, password: Password });
export type RegisterBody = Static<typeof RegisterBody>;

/** OAuth2 password grant (RFC 6749 §4.3.2) as FastAPI's `OAuth2PasswordRequestForm`. */
export const TokenForm = Type.Object({
  username: Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH, pattern: NO_CONTROL_CHARACTERS, description: 'The email' }),
  password: Password,
  grant_type: Type.Optional(Type.Literal('password')),
  scope: Type.Optional(Type.String({ maxLength: 1024 })),
  client_id: Type.Optional(Type.String({ maxLength: 1024 })),
  client_secret: Type.Optional(Type.String({ maxLength: 1024 })),
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
});
export type LoginForm = Static<typeof LoginForm>;

export const NoContent = Type.Null({ description: 'No content' });

export const HealthResponse = Type.Object({ status: Type.String() });

/** Responses every authenticated route may give, for OpenAPI. */
export const AUTH_ERRORS = { 401: ErrorBody, 403: ErrorBody } as const;
