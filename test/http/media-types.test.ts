import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { PASSWORD } from '../support/constants.js';
import { auth, bearerToken, form } from '../support/requests.js';
import { appWithRoutes } from './route-inventory.js';
import { internalsOf } from '../support/internals.js';

const FORM = 'application/x-www-form-urlencoded';

describe('request media types', () => {
  let app: FastifyInstance;
  let routes: RouteOptions[];
  let close: () => Promise<void>;
  let admin: string;
  let aliceId: number;
  before(async () => {
    ({ app, routes, close } = await appWithRoutes());
    await app.fastifyUsers.auth.register('root@example.com', PASSWORD, { isSuperuser: true });
    admin = await bearerToken(app, 'root@example.com');
    aliceId = (await app.fastifyUsers.auth.register('alice@example.com', PASSWORD)).id;
  });
  after(async () => close());

  const withBody = () => routes.filter((route) => route.schema?.body);

  test('the JSON routes of the account lifecycle refuse text and forms with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const jsonRoutes = [
      ['POST', '/forgot-password'],
      ['POST', '/reset-password'],
      ['POST', '/request-verify-token'],
      ['POST', '/verify'],
      ['PATCH', '/users/me'],
      ['DELETE', '/users/me'],
      ['PATCH', `/users/${aliceId}`],
    ] as const;
    for (const [method, url] of jsonRoutes) {
      for (const request of [
        { headers: { 'content-type': 'text/plain' }, payload: '{"email":"alice@example.com"}' },
        form({ email: 'alice@example.com', current_password: PASSWORD }),
      ]) {
        const response = await app.inject({ method, url, payload: request.payload, headers: { ...auth(admin), ...request.headers } });
        assert.equal(response.statusCode, 415, `${method} ${url} ${request.headers['content-type']}`);
        assert.equal(response.json().code, 'UNSUPPORTED_MEDIA_TYPE');
        assert.equal(response.headers['cache-control'], 'no-store');
      }
    }
  });

  test('a form body to PATCH /users/{id} changes nothing', async () => {
    const body = form({ is_superuser: 'true' });
    const response = await app.inject({ method: 'PATCH', url: `/users/${aliceId}`, headers: { ...auth(admin), ...body.headers }, payload: body.payload });
    assert.equal(response.statusCode, 415);
    assert.equal((await internalsOf(app).auth.store.findUserById(aliceId))!.isSuperuser, false);
  });

  test('every route with a body reads only what it declares: JSON, or a form where OpenAPI says so', async () => {
    assert.ok(withBody().length >= 10, 'the inventory found the routes with a body');
    for (const route of withBody()) {
      const consumes = (route.schema as { consumes?: string[] }).consumes ?? ['application/json'];
      const url = route.url.replace(':id', String(aliceId));
      for (const method of [route.method].flat()) {
        for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/json', FORM]) {
          if (consumes.includes(type)) continue;
          const response = await app.inject({
            method,
            url,
            headers: { ...auth(admin), 'content-type': type },
            payload: type === 'application/json' ? '{}' : 'a=b',
          });
          assert.equal(response.statusCode, 415, `${method} ${url} ${type}`);
        }
      }
    }
  });

  test('the declared media type still passes, with or without parameters', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/forgot-password',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify({ email: 'nobody@example.com' }),
    });
    assert.equal(response.statusCode, 202);
    const login = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'alice@example.com', password: PASSWORD }) });
    assert.equal(login.statusCode, 200);
  });
});
