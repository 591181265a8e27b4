// What row 12's in-memory contenders (bench/servers/oidc-alone.ts, bench/servers/ours-memory-storage.ts)
// both do before they listen: store one confidential client in the engine's in-memory adapter and
// mint refresh tokens through the engine's own models, one grant each, as a code exchange would
// leave them.
import type Provider from 'oidc-provider';
import { clientSecretDigest } from '../../src/features/oauth-server/clients.js';
import type { memoryAdapter } from '../../src/features/oauth-server/memory-adapter.js';

/** The scope of every minted grant: an ID token is signed on each refresh. */
export const REFRESH_SCOPE = 'openid offline_access';

export async function mintRefreshTokens(
  engine: Provider,
  adapter: ReturnType<typeof memoryAdapter>['Adapter'],
  options: { clientId: string; clientSecret: string; accountId: string; grants: number },
): Promise<string[]> {
  const { clientId, accountId } = options;
  await new adapter('Client').upsert(clientId, {
    client_id: clientId,
    client_secret: clientSecretDigest(options.clientSecret),
    client_name: 'Bench',
    redirect_uris: ['http://127.0.0.1:9/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
  });
  const client = await engine.Client.find(clientId);
  if (!client) throw new Error('the bench client was not stored');
  const tokens: string[] = [];
  for (let i = 0; i < options.grants; i++) {
    const grant = new engine.Grant({ accountId, clientId });
    grant.addOIDCScope(REFRESH_SCOPE);
    const grantId = await grant.save();
    const refresh = new engine.RefreshToken({
      accountId,
      client,
      grantId,
      scope: REFRESH_SCOPE,
      gty: 'authorization_code',
      authTime: Math.floor(Date.now() / 1000),
      amr: ['pwd'],
    });
    tokens.push(await refresh.save());
  }
  return tokens;
}
