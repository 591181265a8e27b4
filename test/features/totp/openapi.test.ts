import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestServer } from '../../support/servers.js';

test('OpenAPI: every second-factor and passkey operation has a unique operationId and a summary; the anonymous ones say security: []', async () => {
  const s = await buildTestServer();
  try {
    const spec = (await s.app.inject({ url: '/openapi.json' })).json();
    const expected: [string, string, boolean][] = [
      ['post', '/login/otp', true],
      ['get', '/users/me/totp', false],
      ['post', '/users/me/totp', false],
      ['delete', '/users/me/totp', false],
      ['post', '/users/me/totp/confirm', false],
      ['post', '/users/me/passkeys/options', false],
      ['post', '/users/me/passkeys', false],
      ['get', '/users/me/passkeys', false],
      ['delete', '/users/me/passkeys/{id}', false],
      ['post', '/passkeys/login/options', true],
      ['post', '/passkeys/login', true],
    ];
    const ids = new Set<string>();
    for (const [method, path, anonymous] of expected) {
      const operation = spec.paths[path]?.[method];
      assert.ok(operation, `${method} ${path} is documented`);
      assert.match(operation.operationId ?? '', /^[a-zA-Z]+$/, `${method} ${path} operationId`);
      assert.ok(!ids.has(operation.operationId), `${operation.operationId} is unique`);
      ids.add(operation.operationId);
      assert.ok(operation.summary?.length > 0, `${method} ${path} summary`);
      assert.deepEqual(operation.security, anonymous ? [] : [{ OAuth2PasswordBearer: [] }], `${method} ${path} security`);
    }
    const otp = spec.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded'].schema.properties.otp;
    assert.equal(otp.type, 'string', '/token documents the otp field');
  } finally {
    await s.close();
  }
});
