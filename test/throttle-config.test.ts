import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../src/core/errors.js';
import { readConfig } from '../src/server.js';
import { buildTestServer } from './support/servers.js';

describe('THROTTLE_* environment variables', () => {
  test('are read into the throttle options; unset ones keep their defaults', () => {
    const config = readConfig({
      THROTTLE_IDENTIFIER_ADDRESS_LIMIT: '3',
      THROTTLE_LOGIN_WINDOW: '60',
      THROTTLE_ENABLED: 'true',
      THROTTLE_REGISTER_WINDOW: '120',
    });
    assert.deepEqual(config.auth.throttle, {
      enabled: true,
      loginWindowSeconds: 60,
      identifierAddressLimit: 3,
      registerWindowSeconds: 120,
    });
  });

  test('a malformed value is a ConfigError naming the variable', () => {
    assert.throws(
      () => readConfig({ THROTTLE_ENABLED: 'maybe' }),
      (e: unknown) => e instanceof ConfigError && e.key === 'THROTTLE_ENABLED',
    );
    assert.throws(
      () => readConfig({ THROTTLE_ADDRESS_LIMIT: '-1' }),
      (e: unknown) => e instanceof ConfigError && e.key === 'THROTTLE_ADDRESS_LIMIT',
    );
  });

  test('a zero limit or window refuses to start, naming the variable', async () => {
    await assert.rejects(buildTestServer({ THROTTLE_LOGIN_WINDOW: '0' }), (e: unknown) => e instanceof ConfigError && e.key === 'THROTTLE_LOGIN_WINDOW');
    await assert.rejects(buildTestServer({ THROTTLE_REGISTER_LIMIT: '0' }), (e: unknown) => e instanceof ConfigError && e.key === 'THROTTLE_REGISTER_LIMIT');
  });

  test('the configured limit applies over HTTP', async () => {
    const s = await buildTestServer({ THROTTLE_IDENTIFIER_ADDRESS_LIMIT: '2' });
    try {
      const attempt = () =>
        s.app.inject({
          method: 'POST',
          url: '/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'username=x%40example.com&password=wrong',
        });
      assert.equal((await attempt()).statusCode, 401);
      assert.equal((await attempt()).statusCode, 401);
      assert.equal((await attempt()).statusCode, 429);
    } finally {
      await s.close();
    }
  });
});
