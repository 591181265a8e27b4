import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in's ID token is made wrong (or `valid`, the control). */
export type IdTokenFault =
  | 'valid'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'wrong-nonce'
  | 'wrong-key'
  | 'expired'
  | 'email-in-userinfo-only'
  | 'azp-another-client'
  | 'issued-in-future';

export interface StandInIssuer {
  issuer: string;
  /** The fault of the next ID token. */
  fault: IdTokenFault;
  /** The nonce the relying party sent in its authorization request (the test copies it here). */
  nonce: string;
  /** The claims of the next ID token's subject. */
  subject: { sub: string; email: string; email_verified: boolean };
  close: () => Promise<void>;
}

/**
 * A tiny OpenID issuer built with `jose`, for the attacks a certified provider will not commit:
 * its discovery, JWKS (key A) and UserInfo are honest, but its token endpoint answers with an ID
 * token that has the chosen fault — a wrong `aud`, `iss`, `nonce`, an `azp` naming another client,
 * an `iat` an hour ahead, an expired one, or one signed with key B, which the JWKS does not hold.
 */
export async function startStandInIssuer(options: { clientId: string; port?: number }): Promise<StandInIssuer> {
  const published = await generateKeyPair('RS256', { extractable: true });
  const rogue = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(published.publicKey)), kid: 'key-a', alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const standIn: StandInIssuer = {
    issuer,
    fault: 'valid',
    nonce: '',
    subject: { sub: 'stand-in-subject', email: 'stand-in@example.com', email_verified: true },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const idToken = async (): Promise<string> => {
    const { fault, subject } = standIn;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { nonce: fault === 'wrong-nonce' ? 'not-the-nonce' : standIn.nonce };
    // Issued to another client that merely names us as its audience.
    if (fault === 'azp-another-client') claims.azp = 'another-client';
    const issuedAt = fault === 'expired' ? now - 7200 : fault === 'issued-in-future' ? now + 3600 : now;
    if (fault !== 'email-in-userinfo-only') Object.assign(claims, { email: subject.email, email_verified: subject.email_verified });
    const key: CryptoKey = fault === 'wrong-key' ? rogue.privateKey : published.privateKey;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-a' })
      .setIssuer(fault === 'wrong-iss' ? 'http://127.0.0.1:1/elsewhere' : issuer)
      .setAudience(fault === 'wrong-aud' ? 'another-client' : options.clientId)
      .setSubject(subject.sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(fault === 'expired' ? now - 3600 : issuedAt + 300)
      .sign(key);
  };

  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path === '/.well-known/openid-configuration') {
      return json(res, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        userinfo_endpoint: `${issuer}/userinfo`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (path === '/jwks') return json(res, { keys: [jwk] });
    if (path === '/userinfo') return json(res, standIn.subject);
    if (path === '/token' && req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        idToken().then(
          (token) => json(res, { access_token: 'stand-in-access-token', token_type: 'Bearer', expires_in: 300, id_token: token }),
          () => res.writeHead(500).end(),
        );
      });
      return;
    }
    res.writeHead(404).end();
  });
  return standIn;
}
