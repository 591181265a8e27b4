import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import type { User } from '../../src/core/user.js';
import { SessionCache } from '../../src/core/session-cache.js';
import { digestToken } from '../../src/core/token.js';
import { providerTokenResolver } from '../../src/features/resource-server/provider-tokens.js';

// The JWT access-token resolver on its own, against keys made here (the end-to-end flow through
// our provider is in test/e2e/provider-resource.test.ts): every claim that must be checked is
// broken once, and each must refuse.

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'https://auth.example.test';

function user(id: number, isActive = true): User {
  return { id, email: `u${id}@example.com`, hashedPassword: 'x', isActive, isSuperuser: false, isVerified: true } as User;
}

async function keyPair(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  // The source may hand over private JWKs (the provider's own keys): only the public part is used.
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  void publicKey;
  return { privateKey, jwk };
}

interface Claims {
  sub?: string;
  client_id?: string;
  scope?: string;
  aud?: string;
  iss?: string;
  exp?: number;
}

function sign(key: CryptoKey, kid: string, claims: Claims, header: { typ?: string; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body = { sub: '1', client_id: 'client-1', scope: 'openid notes:read', aud: AUDIENCE, iss: ISSUER, exp: now + 600, iat: now, ...claims };
  return new SignJWT(body as never).setProtectedHeader({ alg: header.alg ?? 'RS256', typ: header.typ ?? 'at+jwt', kid }).sign(key);
}

describe('the provider access-token resolver', async () => {
  const first = await keyPair('k0');
  const users = new Map([
    [1, user(1)],
    [2, user(2, false)],
  ]);
  const grants = new Set(['1:client-1', '2:client-1']);
  let keys: JWK[] = [first.jwk];
  let keyLoads = 0;
  let now = new Date();
  const resolver = providerTokenResolver({
    issuer: ISSUER,
    audience: AUDIENCE,
    publicKeys: async () => {
      keyLoads += 1;
      return keys;
    },
    findUser: async (id) => users.get(id) ?? null,
    grantActive: async (userId, clientId) => grants.has(`${userId}:${clientId}`),
    now: () => now,
  });
  const resolve = (bearer: string | undefined, apiKey?: string) => resolver.resolve({ bearer, apiKey });

  test('a valid token: the provider session, with client and scopes', async () => {
    const answer = await resolve(await sign(first.privateKey, 'k0', {}));
    assert.deepEqual(answer, { kind: 'provider', user: users.get(1), clientId: 'client-1', scopes: ['openid', 'notes:read'] });
  });

  test('declines what is not a compact JWS (our session tokens, API keys, garbage, an X-API-Key alone)', async () => {
    for (const bearer of ['A'.repeat(43), 'fu_abc', 'a.b', 'eyJ.x', `eyJ${'a'.repeat(9000)}.b.c`]) assert.equal(await resolve(bearer), undefined, bearer);
    assert.equal(await resolve(undefined, 'fu_key'), undefined);
  });

  test('refuses a wrong audience, issuer, type, algorithm, an expiry past, a bad signature, missing claims', async () => {
    const other = await keyPair('k0');
    const cases: [string, Promise<string>][] = [
      ['audience', sign(first.privateKey, 'k0', { aud: 'https://api.other.test' })],
      ['issuer', sign(first.privateKey, 'k0', { iss: 'https://evil.test' })],
      ['an ID token (typ JWT)', sign(first.privateKey, 'k0', {}, { typ: 'JWT' })],
      ['expired', sign(first.privateKey, 'k0', { exp: Math.floor(Date.now() / 1000) - 120 })],
      ['another key, same kid', sign(other.privateKey, 'k0', {})],
      ['no client_id', sign(first.privateKey, 'k0', { client_id: undefined })],
      ['a sub that is no user id', sign(first.privateKey, 'k0', { sub: 'client-1' })],
    ];
    for (const [label, token] of cases) assert.equal(await resolve(await token), null, label);
    const valid = await sign(first.privateKey, 'k0', {});
    const [header, payload, signature] = valid.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scope: 'admin' })).toString('base64url');
    assert.equal(await resolve(`${header}.${forged}.${signature}`), null, 'a changed payload');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    assert.equal(await resolve(none), undefined, 'alg none has no signature part: not a JWS we take');
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'k0' })).toString('base64url')}.${payload}.${signature}`;
    assert.equal(await resolve(hs), null, 'HS256 with the public key as secret');
  });

  test('an inactive user, a deleted user and a revoked grant are refused on the next request, even for a token verified before', async () => {
    const token = await sign(first.privateKey, 'k0', {});
    assert.equal((await resolve(token))?.kind, 'provider');
    grants.delete('1:client-1');
    assert.equal(await resolve(token), null);
    grants.add('1:client-1');
    users.set(1, user(1, false));
    assert.equal(await resolve(token), null);
    users.delete(1);
    assert.equal(await resolve(token), null);
    users.set(1, user(1));
    assert.equal((await resolve(token))?.kind, 'provider');
    assert.equal(await resolve(await sign(first.privateKey, 'k0', { sub: '2' })), null, 'user 2 is inactive');
  });

  test('a verified token stops at its expiry', async () => {
    const token = await sign(first.privateKey, 'k0', { exp: Math.floor(now.getTime() / 1000) + 60 });
    assert.equal((await resolve(token))?.kind, 'provider');
    now = new Date(now.getTime() + 61_000);
    assert.equal(await resolve(token), null);
    now = new Date();
  });

  test('a key added later (keys rotate on another instance) is found by reloading the keys; an unknown kid reloads at most every 30 s', async () => {
    const second = await keyPair('k1');
    keys = [second.jwk, first.jwk];
    const token = await sign(second.privateKey, 'k1', {});
    // Within 30 s of the last load: not read again, refused.
    assert.equal(await resolve(token), null);
    now = new Date(now.getTime() + 31_000);
    const loads = keyLoads;
    assert.equal((await resolve(token))?.kind, 'provider');
    assert.equal(keyLoads, loads + 1);
    const unknown = await keyPair('k9');
    now = new Date(now.getTime() + 31_000);
    for (let i = 0; i < 5; i++) assert.equal(await resolve(await sign(unknown.privateKey, 'k9', {})), null);
    assert.equal(keyLoads, loads + 2, 'five unknown kids, one reload');
    now = new Date();
  });

  test('with the session cache: answered from memory until the user changes, the grant lapses or the token expires', async () => {
    const cache = new SessionCache();
    cache.trustForever();
    let reads = 0;
    let lapse: number | boolean = now.getTime() + 30_000;
    const cached = providerTokenResolver({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKeys: async () => keys,
      findUser: async (id) => {
        reads += 1;
        return users.get(id) ?? null;
      },
      grantActive: async () => lapse,
      sessions: cache,
      now: () => now,
    });
    const token = await sign(first.privateKey, 'k0', {});
    const ask = () => cached.resolve({ bearer: token, apiKey: undefined });
    assert.equal((await ask())?.kind, 'provider');
    const answer = ask();
    assert.ok(!(answer instanceof Promise), 'a cached token is answered synchronously');
    assert.deepEqual(answer, { kind: 'provider', user: cache.get(digestToken(token))!.user, clientId: 'client-1', scopes: ['openid', 'notes:read'] });
    assert.equal(reads, 1);
    // A change of the user (deactivation, password, deletion, an ended grant) evicts the answer.
    cache.evict({ userIds: [1] });
    lapse = false;
    assert.equal(await ask(), null);
    assert.equal(reads, 2);
    // Kept no longer than the grant stands.
    lapse = now.getTime() + 30_000;
    assert.equal((await ask())?.kind, 'provider');
    now = new Date(now.getTime() + 31_000);
    assert.equal(await ask(), null);
    now = new Date();
  });
});
