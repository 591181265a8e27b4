import { Type, type Static } from 'typebox';
import { DeleteMeBody, OneTimeCode, Password } from '../../http/schemas.js';

// TOTP set-up and removal (docs/two-factor.md).

/** The same body as `DELETE /users/me`: the current password alone. */
export const TOTPBeginBody = DeleteMeBody;

export const TOTPEnrolment = Type.Object({
  secret: Type.String({ description: 'The base32 secret, for typing into an authenticator app' }),
  otpauth_url: Type.String({ description: 'The otpauth:// URI, for a QR code' }),
});

export const TOTPConfirmBody = Type.Object({ code: OneTimeCode });
export type TOTPConfirmBody = Static<typeof TOTPConfirmBody>;

export const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String(), { description: 'Single-use codes, shown this once' }),
});

export const TOTPDisableBody = Type.Object({ current_password: Password, code: OneTimeCode });
export type TOTPDisableBody = Static<typeof TOTPDisableBody>;

export const TOTPStatus = Type.Object({
  enabled: Type.Boolean(),
  recovery_codes_left: Type.Integer({ description: 'Unused recovery codes' }),
});
