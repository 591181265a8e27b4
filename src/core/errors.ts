/**
 * The one registry of error codes. Every error the product answers with is listed here with its
 * HTTP status and default human sentence; `http/` is the only layer that turns them into replies.
 * A test checks that each code is unique and documented in docs/api.md.
 */
export const ERRORS = {
  // Schema and transport problems (FastAPI's 422 list, plus the body-parser failures).
  VALIDATION_ERROR: { status: 422, message: 'Request validation failed' },
  MALFORMED_BODY: { status: 400, message: 'The request body could not be parsed' },
  FORBIDDEN_KEY: { status: 400, message: 'The request body contains a forbidden key' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  MALFORMED_REQUEST: { status: 400, message: 'The request could not be parsed' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
  MALFORMED_URL: { status: 400, message: 'The request URL could not be decoded' },
  URL_TOO_LONG: { status: 414, message: 'A part of the request URL is too long' },
  NOT_FOUND: { status: 404, message: 'Not Found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method Not Allowed' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Internal Server Error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is temporarily unavailable' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many attempts, try again later' },

  // Authentication.
  NOT_AUTHENTICATED: { status: 401, message: 'Not authenticated' },
  LOGIN_BAD_CREDENTIALS: { status: 401, message: 'Incorrect email or password' },
  INVALID_CURRENT_PASSWORD: { status: 401, message: 'The current password is incorrect' },
  FORBIDDEN: { status: 403, message: 'Not enough privileges' },
  CSRF_TOKEN_INVALID: { status: 403, message: 'CSRF token verification failed' },
  ORIGIN_NOT_ALLOWED: { status: 403, message: 'Cross-origin request refused' },
  REAUTHENTICATION_REQUIRED: { status: 403, message: 'Confirm your identity first (POST /users/me/reauthenticate)' },
  REAUTHENTICATION_FAILED: { status: 401, message: 'The proof of identity is incorrect' },
  // Delegated credentials: provider access tokens and API keys (docs/resource-server.md).
  INSUFFICIENT_SCOPE: { status: 403, message: 'The access token or API key lacks a scope this route needs' },
  FIRST_PARTY_SESSION_REQUIRED: {
    status: 403,
    message: 'This route needs a session signed in here: access tokens of other apps and API keys cannot manage the account',
  },

  // Registration and profile.
  REGISTER_USER_ALREADY_EXISTS: { status: 400, message: 'Email already exists' },
  REGISTER_INVALID_PASSWORD: { status: 400, message: 'The password does not meet the policy' },
  UPDATE_USER_EMAIL_ALREADY_EXISTS: { status: 400, message: 'Email already exists' },
  UPDATE_USER_INVALID_PASSWORD: { status: 400, message: 'The password does not meet the policy' },
  USER_NOT_FOUND: { status: 404, message: 'User not found' },
  // Support impersonation (docs/audit.md).
  IMPERSONATION_READ_ONLY: { status: 403, message: 'An impersonation session cannot change the password, email, second factors, passkeys or API keys' },
  IMPERSONATION_FORBIDDEN: { status: 403, message: 'This user cannot be impersonated' },
  NOT_IMPERSONATING: { status: 400, message: 'This session is not an impersonation' },
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found' },

  // Account lifecycle.
  RESET_PASSWORD_BAD_TOKEN: { status: 400, message: 'The reset token is invalid or has expired' },
  RESET_PASSWORD_INVALID_PASSWORD: { status: 400, message: 'The password does not meet the policy' },
  VERIFY_USER_BAD_TOKEN: { status: 400, message: 'The verification token is invalid or has expired' },
  VERIFY_USER_ALREADY_VERIFIED: { status: 400, message: 'The user is already verified' },

  // Second factor and passkeys (docs/two-factor.md).
  LOGIN_OTP_REQUIRED: { status: 401, message: 'A one-time code is required to sign in', error: 'mfa_required' },
  LOGIN_BAD_OTP: { status: 401, message: 'The one-time code is incorrect' },
  LOGIN_OTP_NOT_PENDING: { status: 401, message: 'No sign-in is waiting for a one-time code (it may have expired)' },
  TOTP_BAD_CODE: { status: 400, message: 'The code is incorrect' },
  TOTP_ALREADY_ENABLED: { status: 400, message: 'Two-factor sign-in is already enabled' },
  TOTP_NOT_ENABLED: { status: 400, message: 'Two-factor sign-in is not enabled' },
  TOTP_NOT_PENDING: { status: 400, message: 'Start the set-up of two-factor sign-in first' },
  TOTP_PASSWORD_REQUIRED: { status: 400, message: 'Set a password before enabling two-factor sign-in' },
  PASSKEY_INVALID: { status: 400, message: 'The passkey response is invalid' },
  PASSKEY_NOT_FOUND: { status: 404, message: 'Passkey not found' },

  // Sign-in by email link or code (docs/email-sign-in.md).
  EMAIL_SIGN_IN_BAD_LINK: { status: 400, message: 'The sign-in link is invalid, used or expired: ask for a new one' },
  EMAIL_SIGN_IN_BAD_CODE: { status: 401, message: 'The code is incorrect, used or expired' },
  EMAIL_SIGN_IN_OTHER_BROWSER: {
    status: 403,
    message: 'This sign-in link was asked for in another browser: open it in the browser where you asked, or type the code from the mail there',
  },

  // Signing in with another identity provider (docs/oauth.md).
  OAUTH_UNKNOWN_PROVIDER: { status: 404, message: 'Unknown identity provider' },
  OAUTH_PROVIDER_UNAVAILABLE: { status: 503, message: 'The identity provider cannot be reached, try again later' },
  OAUTH_STATE_INVALID: { status: 400, message: 'The sign-in attempt is invalid or has expired, start again' },
  OAUTH_CALLBACK_FAILED: { status: 400, message: 'The identity provider did not confirm the sign-in' },
  OAUTH_USER_ALREADY_EXISTS: {
    status: 400,
    message: 'An account with this email already exists: sign in with its password, then link the provider from the profile',
  },
  OAUTH_EMAIL_NOT_VERIFIED: {
    status: 400,
    message: 'The identity provider does not vouch for this email address: verify it there, or register with a password',
  },
  OAUTH_ACCOUNT_ALREADY_LINKED: { status: 400, message: 'This identity is already linked to another account' },
  OAUTH_ACCOUNT_NOT_FOUND: { status: 404, message: 'Linked account not found' },
  OAUTH_LAST_CREDENTIAL: { status: 400, message: 'This is the last way to sign in to the account: set a password first' },

  // API keys (docs/api-keys.md).
  API_KEY_NOT_FOUND: { status: 404, message: 'API key not found' },
  API_KEY_LIMIT_REACHED: { status: 400, message: 'Too many API keys: revoke one first' },

  // Our OAuth provider's clients (docs/oauth-server.md).
  OAUTH_CLIENT_NOT_FOUND: { status: 404, message: 'OAuth client not found' },
  OAUTH_CLIENT_INVALID: { status: 400, message: 'The client registration is not valid' },
  OAUTH_GRANT_NOT_FOUND: { status: 404, message: 'No app with this client id is connected to your account' },

  // Organizations (docs/organizations.md). A non-member is told the organization does not exist.
  ORG_NOT_FOUND: { status: 404, message: 'Organization not found' },
  ORG_MEMBER_NOT_FOUND: { status: 404, message: 'Member not found' },
  ORG_FORBIDDEN: { status: 403, message: 'Your role in this organization does not allow this' },
  ORG_LAST_OWNER: { status: 400, message: 'An organization keeps at least one owner: make another member owner first' },
  ORG_SLUG_TAKEN: { status: 400, message: 'This slug is already taken' },
  ORG_MFA_REQUIRED: { status: 403, message: 'This organization requires two-factor sign-in: enable TOTP or add a passkey first' },
  INVITATION_NOT_FOUND: { status: 404, message: 'Invitation not found' },
  INVITATION_INVALID: { status: 400, message: 'The invitation is invalid, used or expired' },
  INVITATION_EMAIL_MISMATCH: { status: 403, message: 'This invitation was sent to another email address, or yours is not verified yet' },
} as const satisfies Record<string, { status: number; message: string; error?: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * A registered, expected failure: carries its code, status and the sentence (or FastAPI-style
 * list) that goes into `detail`. Thrown by the domain for conflicts; "not valid" is a `null`.
 */
export class AuthError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly detail: unknown;
  /** Seconds the client should wait (429, 503), sent as `Retry-After`. */
  readonly retryAfter: number | undefined;
  /** An RFC 6749 §5.2-style `error` member for the body, when the registry gives one. */
  readonly error: string | undefined;
  /** Auth-params of the `WWW-Authenticate: Bearer` challenge beside the status (RFC 6750 §3), e.g. `{error: 'insufficient_scope', scope}`. */
  readonly challenge: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, detail?: unknown, options?: { retryAfter?: number; challenge?: Readonly<Record<string, string>> }) {
    const entry = ERRORS[code];
    super(typeof detail === 'string' ? detail : entry.message);
    this.name = 'AuthError';
    this.code = code;
    this.statusCode = entry.status;
    this.detail = detail ?? entry.message;
    this.retryAfter = options?.retryAfter;
    this.error = 'error' in entry ? entry.error : undefined;
    this.challenge = options?.challenge;
  }
}

/** Thrown when options or environment are invalid; `key` names the option at fault. */
export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}
