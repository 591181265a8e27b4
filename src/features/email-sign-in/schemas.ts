import { Type, type Static } from 'typebox';
import { ACTION_TOKEN_MAX_LENGTH, Email, OneTimeCode } from '../../http/schemas.js';

// Sign-in by email link or code (docs/email-sign-in.md).

const RequestId = Type.String({ minLength: 1, maxLength: 64, description: 'The `request_id` answered to the bearer request' });

export const EmailSignInBody = Type.Object({
  email: Email,
  transport: Type.Optional(
    Type.Union([Type.Literal('cookie'), Type.Literal('bearer')], {
      description: '`cookie` (default, browsers: the request is bound to a cookie) or `bearer` (API clients: a `request_id` is answered instead)',
    }),
  ),
});
export type EmailSignInBody = Static<typeof EmailSignInBody>;

export const EmailSignInAccepted = Type.Object(
  { request_id: Type.String({ description: 'Send it back with the code to POST /login/email/verify' }) },
  { description: 'Accepted (bearer): the same answer whether or not the account exists' },
);

const LinkBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: ACTION_TOKEN_MAX_LENGTH, description: 'The token from the link in the mail' }) },
  { title: 'EmailSignInLink', description: 'The link, from the browser that asked (its binding cookie)' },
);
const CodeBody = Type.Object(
  {
    email: Email,
    code: Type.String({ minLength: 1, maxLength: 16, pattern: '^[^\\p{Cc}]*$', description: 'The 6-digit code from the mail' }),
    request_id: Type.Optional(RequestId),
    otp: Type.Optional(OneTimeCode),
  },
  {
    title: 'EmailSignInCode',
    description:
      'The code, from the browser that asked (its binding cookie) or, with `request_id`, from an API client; `otp` for an account with two-factor sign-in',
  },
);
export const EmailSignInVerifyBody = Type.Union([LinkBody, CodeBody]);
export type EmailSignInVerifyBody = Static<typeof EmailSignInVerifyBody>;
