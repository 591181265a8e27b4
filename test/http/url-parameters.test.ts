import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { auth, bearerToken } from '../support/requests.js';
import { appWithRoutes } from './route-inventory.js';

interface PropertySchema {
  type?: string;
  maximum?: number;
  maxLength?: number;
}

describe('parameters taken from the URL', () => {
  test('every number in a query string or path has a maximum, and every string a maximum length', async () => {
    const { routes: plain, close } = await appWithRoutes();
    await close();
    // With our OAuth provider on, its routes too (admin clients, Connected apps).
    const withProvider = await appWithRoutes({ publicUrl: 'http://127.0.0.1:9', oauthServer: { enabled: true } });
    await withProvider.close();
    const routes = [...plain, ...withProvider.routes];
    assert.ok(
      routes.some((route) => route.url === '/users/me/oauth-grants/:client_id'),
      "the provider's routes are among them",
    );
    assert.ok(
      routes.some((route) => route.url === '/users' && route.schema?.querystring),
      'GET /users has a query schema',
    );
    for (const route of routes) {
      for (const part of ['querystring', 'params'] as const) {
        const schema = route.schema?.[part] as { properties?: Record<string, PropertySchema> } | undefined;
        for (const [name, property] of Object.entries(schema?.properties ?? {})) {
          const where = `${String(route.method)} ${route.url} ${part}.${name}`;
          if (property.type === 'integer' || property.type === 'number') assert.equal(typeof property.maximum, 'number', where);
          if (property.type === 'string') assert.equal(typeof property.maxLength, 'number', where);
        }
      }
    }
  });

  describe('GET /users', () => {
    let t: TestApp;
    let admin: string;
    before(async () => {
      t = await buildTestApp();
      await t.app.fastifyUsers.auth.register('root@example.com', PASSWORD, { isSuperuser: true });
      admin = await bearerToken(t.app, 'root@example.com');
    });
    after(async () => t.close());

    test('an offset beyond any database integer is a 422 naming the parameter, not a 500', async () => {
      for (const offset of ['100000000000000000000', '9223372036854775808', '1e20', '2147483648']) {
        const response = await t.app.inject({ method: 'GET', url: `/users?offset=${offset}`, headers: auth(admin) });
        assert.equal(response.statusCode, 422, offset);
        assert.equal(response.json().code, 'VALIDATION_ERROR', offset);
        assert.deepEqual(response.json().detail[0].loc, ['querystring', 'offset'], offset);
      }
    });

    test('the largest offset allowed is an empty page', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/users?offset=2147483647', headers: auth(admin) });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), []);
    });
  });
});
