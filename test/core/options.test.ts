import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/core/errors.js';
import { DEFAULT_ACCESS_TOKEN_LIFETIME, resolveAuthOptions, type AuthOptions } from '../../src/core/options.js';
import { TEST_SECRET } from '../support/constants.js';

const resolve = (options: AuthOptions) => resolveAuthOptions({ secretKey: TEST_SECRET, ...options }, () => 'r'.repeat(43));

function assertConfigError(options: AuthOptions, key: string, message: RegExp): void {
  assert.throws(
    () => resolve(options),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.key, key);
      assert.match(error.message, new RegExp(`^${key.replace('.', '\\.')}: `));
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('resolveAuthOptions', () => {
  test('defaults: 24 h tokens, cookie "token", Secure cookies, 15–1024 policy, OWASP argon2', () => {
    const resolved = resolve({});
    assert.equal(resolved.accessTokenLifetime, DEFAULT_ACCESS_TOKEN_LIFETIME);
    assert.equal(resolved.accessTokenLifetime, 86_400);
    assert.equal(resolved.authCookieName, 'token');
    assert.equal(resolved.csrfCookieName, 'csrftoken');
    assert.equal(resolved.cookieSecure, true);
    assert.equal(resolved.passwordMinLength, 15);
    assert.equal(resolved.passwordMaxLength, 1024);
    assert.deepEqual(resolved.argon2, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.deepEqual(resolved.corsOrigins, []);
    assert.equal(resolved.secretKeyGenerated, false);
  });

  test('without a secret key a random one is made and flagged', () => {
    const resolved = resolveAuthOptions({}, () => 'k'.repeat(43));
    assert.equal(resolved.secretKey, 'k'.repeat(43));
    assert.equal(resolved.secretKeyGenerated, true);
  });

  test('a short secret key names secretKey; a short fallback names secretKeyFallbacks', () => {
    assertConfigError({ sessionCacheSize: 0 }, 'sessionCacheSize', /positive whole number/);
    assertConfigError({ sessionCacheSize: 1.5 }, 'sessionCacheSize', /positive whole number/);
    assertConfigError({ sessionCache: 'yes' as unknown as boolean }, 'sessionCache', /true or false/);
    assertConfigError({ secretKey: 'x'.repeat(31) }, 'secretKey', /at least 32/);
    assertConfigError({ secretKeyFallbacks: ['short'] }, 'secretKeyFallbacks', /at least 32/);
    assert.equal(resolve({ secretKey: 'x'.repeat(32) }).secretKey, 'x'.repeat(32));
  });

  test('a bad lifetime names accessTokenLifetime', () => {
    for (const lifetime of [0, -1, 1.5, Number.NaN]) assertConfigError({ accessTokenLifetime: lifetime }, 'accessTokenLifetime', /positive whole number/);
  });

  test('a __Host- (or __Secure-) cookie with cookieSecure=false is refused, naming the cookie option', () => {
    assertConfigError({ authCookieName: '__Host-token', cookieSecure: false }, 'authCookieName', /COOKIE_SECURE/);
    assertConfigError({ csrfCookieName: '__Secure-csrf', cookieSecure: false }, 'csrfCookieName', /COOKIE_SECURE/);
    assert.equal(resolve({ authCookieName: '__Host-token' }).authCookieName, '__Host-token');
  });

  test('an invalid cookie name, or the same name for both cookies, is refused', () => {
    assertConfigError({ authCookieName: 'to ken' }, 'authCookieName', /not a valid cookie name/);
    assertConfigError({ authCookieName: 'same', csrfCookieName: 'same' }, 'csrfCookieName', /differ/);
  });

  test('a minimum password length below 8, or a maximum below the minimum, is refused', () => {
    assertConfigError({ passwordMinLength: 7 }, 'passwordMinLength', /at least 8/);
    assert.equal(resolve({ passwordMinLength: 8 }).passwordMinLength, 8);
    assertConfigError({ passwordMinLength: 20, passwordMaxLength: 19 }, 'passwordMaxLength', /between/);
  });

  test('a bad CORS origin names corsOrigins; good ones are kept as origins', () => {
    assertConfigError({ corsOrigins: ['not a url'] }, 'corsOrigins', /not an origin/);
    assertConfigError({ corsOrigins: ['https://app.example.com/path'] }, 'corsOrigins', /no path/);
    assertConfigError({ corsOrigins: ['ftp://example.com'] }, 'corsOrigins', /not an origin/);
    assert.deepEqual(resolve({ corsOrigins: ['https://app.example.com', 'http://localhost:3000', 'null'] }).corsOrigins, [
      'https://app.example.com',
      'http://localhost:3000',
      'null',
    ]);
  });

  test('a bad public URL and bad argon2 parameters are refused by name', () => {
    assertConfigError({ publicUrl: 'javascript:alert(1)' }, 'publicUrl', /http\(s\)/);
    assertConfigError({ argon2: { memoryCost: 0 } }, 'argon2.memoryCost', /positive/);
    assertConfigError({ hashConcurrency: 0 }, 'hashConcurrency', /positive/);
  });
});
