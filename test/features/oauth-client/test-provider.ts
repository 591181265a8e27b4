import { exportJWK, generateKeyPair } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** An account at the test provider, as the tests set it. */
export interface ProviderAccount {
  email: string;
  emailVerified: boolean;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by subject; the provider's login form takes the subject as "login". */
  accounts: Map<string, ProviderAccount>;
  close: () => Promise<void>;
}

/**
 * A real OpenID Provider on loopback (`oidc-provider`, OpenID Certified), with its development
 * login and consent pages: the relying party meets discovery, PKCE, `iss` in the response
 * (RFC 9207), signed ID tokens and a JWKS exactly as from a production issuer.
 */
export async function startTestProvider(options: { redirectUris: string[]; port?: number }): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, ProviderAccount>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'test-client',
        client_secret: 'test-client-secret-0123456789',
        redirect_uris: options.redirectUris,
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: account.emailVerified }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // Email claims in the ID token itself, as Google does; the UserInfo fallback has its own test.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['test-provider-cookie-key-0123456789'] },
  });
  // The development pages' warnings are expected here.
  provider.on('server_error', () => {});
  server.on('request', provider.callback());
  return {
    issuer,
    clientId: 'test-client',
    clientSecret: 'test-client-secret-0123456789',
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
