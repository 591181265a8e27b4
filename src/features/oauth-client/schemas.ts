import { Type, type Static } from 'typebox';

// Signing in with another identity provider (docs/oauth.md).

export const ProviderParams = Type.Object({ provider: Type.String({ maxLength: 64, description: 'A configured provider name' }) });
export type ProviderParams = Static<typeof ProviderParams>;

export const AuthorizeQuery = Type.Object({
  next: Type.Optional(Type.String({ maxLength: 2048, description: 'Same-origin path to land on afterwards; anything else lands on `/`' })),
});

/** What a provider sends back (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207's `iss`); other parameters pass. */
export const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    state: Type.Optional(Type.String({ maxLength: 1024 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: Type.String({ maxLength: 2048 }) },
);

/** `POST /oauth/{provider}/link`: where the page sends the browser to start linking. */
export const LinkStart = Type.Object({
  authorization_url: Type.String({ description: "The provider's authorization URL: the page navigates there" }),
});

export const OAuthProviderList = Type.Array(
  Type.Object({
    name: Type.String(),
    authorize_url: Type.String({ description: 'Where a browser goes to start signing in' }),
  }),
);

export const LinkedAccount = Type.Object({
  id: Type.Integer(),
  provider: Type.String(),
  account_email: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});
export const LinkedAccountList = Type.Array(LinkedAccount);

export const LinkedAccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
export type LinkedAccountParams = Static<typeof LinkedAccountParams>;
