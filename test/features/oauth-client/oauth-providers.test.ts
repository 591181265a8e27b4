import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.js';
import { oauthProvidersFromEnv, resolveOAuthProviders, type OAuthProviderOptions } from '../../../src/features/oauth-client/oauth-providers.js';
import { readConfig } from '../../../src/server.js';

const refuses = (fn: () => unknown, key: string) =>
  assert.throws(
    fn,
    (error: unknown) => error instanceof ConfigError && error.key === key && error.message.startsWith(`${key}: `) && !error.message.includes('\n'),
  );

describe('oauthProviders (library options)', () => {
  const base = { clientId: 'id', clientSecret: 'secret' };

  test('presets by name, a generic issuer, default and custom scopes', () => {
    const [github, google, corp] = resolveOAuthProviders([
      { name: 'github', ...base },
      { name: 'google', ...base },
      { name: 'corp-sso', issuer: 'https://sso.corp.example/realms/main', scopes: ['openid', 'email'], ...base },
    ]);
    assert.equal(github!.kind, 'github');
    assert.deepEqual(github!.scopes, ['read:user', 'user:email']);
    assert.equal(google!.kind === 'oidc' && google!.issuer.href, 'https://accounts.google.com/');
    assert.deepEqual(google!.scopes, ['openid', 'email', 'profile']);
    assert.equal(corp!.kind === 'oidc' && corp!.issuer.href, 'https://sso.corp.example/realms/main');
    assert.deepEqual(corp!.scopes, ['openid', 'email']);
    assert.deepEqual(resolveOAuthProviders(undefined), []);
  });

  test('http issuers only on loopback; bad names, duplicates, missing secrets and issuers name the option', () => {
    assert.ok(resolveOAuthProviders([{ name: 'dev', issuer: 'http://127.0.0.1:9000', ...base }]));
    assert.ok(resolveOAuthProviders([{ name: 'dev', issuer: 'http://localhost:9000', ...base }]));
    const cases: [OAuthProviderOptions[], string][] = [
      [[{ name: 'dev', issuer: 'http://sso.example', ...base }], 'oauthProviders[0].issuer'],
      [[{ name: 'dev', issuer: 'ftp://sso.example', ...base }], 'oauthProviders[0].issuer'],
      [[{ name: 'dev', issuer: 'not a url', ...base }], 'oauthProviders[0].issuer'],
      [[{ name: 'Dev!', issuer: 'https://sso.example', ...base }], 'oauthProviders[0].name'],
      [[{ name: 'corp', ...base }], 'oauthProviders[0].issuer'],
      [
        [
          { name: 'github', ...base },
          { name: 'github', ...base },
        ],
        'oauthProviders[1].name',
      ],
      [[{ name: 'google', clientId: 'id', clientSecret: '' }], 'oauthProviders[0].clientSecret'],
      [[{ name: 'github', issuer: 'https://github.com', ...base }], 'oauthProviders[0].issuer'],
      [[{ name: 'github', endpoints: { api: 'http://api.example' }, ...base }], 'oauthProviders[0].endpoints.api'],
      [[{ name: 'google', scopes: [], ...base }], 'oauthProviders[0].scopes'],
      [[{ name: 'google', scopes: ['a"b'], ...base }], 'oauthProviders[0].scopes'],
    ];
    for (const [providers, key] of cases) refuses(() => resolveOAuthProviders(providers), key);
  });
});

describe('OAUTH_* variables (readConfig)', () => {
  const env = {
    PUBLIC_URL: 'https://auth.example.com',
    OAUTH_PROVIDERS: 'github, corp-sso',
    OAUTH_GITHUB_CLIENT_ID: 'gh-id',
    OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
    OAUTH_CORP_SSO_CLIENT_ID: 'corp-id',
    OAUTH_CORP_SSO_CLIENT_SECRET: 'corp-secret',
    OAUTH_CORP_SSO_ISSUER: 'https://sso.corp.example',
    OAUTH_CORP_SSO_SCOPES: 'openid  email',
  };

  test('reads each provider, name upper-cased with - as _', () => {
    assert.deepEqual(readConfig(env).oauthProviders, [
      { name: 'github', clientId: 'gh-id', clientSecret: 'gh-secret' },
      { name: 'corp-sso', clientId: 'corp-id', clientSecret: 'corp-secret', issuer: 'https://sso.corp.example', scopes: ['openid', 'email'] },
    ]);
    assert.equal(readConfig({}).oauthProviders, undefined);
    assert.equal(oauthProvidersFromEnv({ OAUTH_PROVIDERS: ' ' }), undefined);
  });

  test('a bad setting is a one-line error naming the variable', () => {
    const { PUBLIC_URL: _, ...withoutPublicUrl } = env;
    refuses(() => readConfig(withoutPublicUrl), 'PUBLIC_URL');
    refuses(() => readConfig({ ...env, OAUTH_GITHUB_CLIENT_SECRET: '' }), 'OAUTH_GITHUB_CLIENT_SECRET');
    refuses(() => readConfig({ ...env, OAUTH_CORP_SSO_ISSUER: 'http://sso.corp.example' }), 'OAUTH_CORP_SSO_ISSUER');
    refuses(() => readConfig({ ...env, OAUTH_CORP_SSO_ISSUER: '' }), 'OAUTH_CORP_SSO_ISSUER');
    refuses(() => readConfig({ ...env, OAUTH_PROVIDERS: 'github,Bad_Name' }), 'OAUTH_PROVIDERS');
    refuses(() => readConfig({ ...env, OAUTH_PROVIDERS: 'github,github' }), 'OAUTH_PROVIDERS');
  });
});
