import { Type, type Static } from 'typebox';
import { NO_CONTROL_CHARACTERS, Password } from '../../http/schemas.js';

// Passkeys (docs/two-factor.md).

/** A WebAuthn response as @simplewebauthn/browser produces it; checked in depth by @simplewebauthn/server. */
const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1400 }),
    rawId: Type.String({ maxLength: 1400 }),
    type: Type.Literal('public-key'),
    response: Type.Object({}, { additionalProperties: true }),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { description: 'The PublicKeyCredential, JSON-encoded (WebAuthn Level 3 toJSON())' },
);

export const PasskeyName = Type.String({ minLength: 1, maxLength: 100, pattern: NO_CONTROL_CHARACTERS });

export const PasskeyRegisterBody = Type.Object({
  name: Type.Optional(PasskeyName),
  response: WebAuthnResponse,
  current_password: Type.Optional({ ...Password, description: 'Counts as recent authentication (docs/security.md) for a session past its window' }),
});
export type PasskeyRegisterBody = Static<typeof PasskeyRegisterBody>;

export const PasskeyLoginBody = Type.Object({ response: WebAuthnResponse });
export type PasskeyLoginBody = Static<typeof PasskeyLoginBody>;

const passkeyFields = { id: Type.Integer(), name: Type.String(), created_at: Type.String({ format: 'date-time' }) };
/** A passkey just registered. */
export const PasskeyCreated = Type.Object(passkeyFields);
/** A passkey in the list. */
export const PasskeyInfo = Type.Object({ ...passkeyFields, last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) });
export const PasskeyList = Type.Array(PasskeyInfo);

export const PasskeyIdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type PasskeyIdParams = Static<typeof PasskeyIdParams>;

/** WebAuthn options (PublicKeyCredentialCreationOptionsJSON / …RequestOptionsJSON), passed to the browser as they are. */
export const WebAuthnOptions = Type.Object({ challenge: Type.String() }, { additionalProperties: true });
