import assert from 'node:assert/strict';
import type { FastifyBaseLogger } from 'fastify';
import { test } from 'node:test';
import { AuthError } from '../../../src/core/errors.js';
import { resolveOAuthProviders } from '../../../src/features/oauth-client/oauth-providers.js';
import { DISCOVERY_RETRY_SECONDS, ProviderClient } from '../../../src/features/oauth-client/provider-client.js';
import { freePort } from '../../support/servers.js';
import { startStandInIssuer } from './stand-in-issuer.js';

/** A logger that records its warnings. */
function recordingLog(): { log: FastifyBaseLogger; warnings: { object: Record<string, unknown>; message: string }[] } {
  const warnings: { object: Record<string, unknown>; message: string }[] = [];
  const log = {
    warn: (object: Record<string, unknown>, message: string) => warnings.push({ object, message }),
    info: () => {},
  } as unknown as FastifyBaseLogger;
  return { log, warnings };
}

test('an issuer down at start is one warning naming the provider; discovery is retried only after the delay, then kept', async () => {
  const port = await freePort();
  const [provider] = resolveOAuthProviders([{ name: 'later', issuer: `http://127.0.0.1:${port}`, clientId: 'c', clientSecret: 's' }]);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const { log, warnings } = recordingLog();
  const client = new ProviderClient(provider!, { now: () => new Date(now), log });

  client.warmUp();
  await assert.rejects(
    client.configuration(),
    (error: unknown) => error instanceof AuthError && error.code === 'OAUTH_PROVIDER_UNAVAILABLE' && error.statusCode === 503,
  );
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.object.provider, 'later');
  assert.match(warnings[0]!.message, /unreachable/);

  const issuer = await startStandInIssuer({ clientId: 'c', port });
  try {
    // Within the delay: answered at once, no new attempt (so no new warning either).
    await assert.rejects(client.configuration(), (error: unknown) => error instanceof AuthError && error.retryAfter! > 0);
    assert.equal(warnings.length, 1);
    now += (DISCOVERY_RETRY_SECONDS + 1) * 1000;
    const config = await client.configuration();
    assert.equal(config.serverMetadata().issuer, issuer.issuer);
    // Kept: the same configuration, even once the issuer is gone again.
    await issuer.close();
    assert.equal(await client.configuration(), config);
  } finally {
    await issuer.close().catch(() => {});
  }
});
