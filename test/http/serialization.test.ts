import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serializerCompiler } from '../../src/http/serialization.js';
import { PublicUser } from '../../src/http/schemas.js';
import { buildTestApp } from '../support/apps.js';
import { register } from '../support/requests.js';

const route = { method: 'GET', url: '/x', httpStatus: '200' };

describe('response serializers (built on first use)', () => {
  test("write only the fields the schema lists, as Fastify's default does", () => {
    const serialize = serializerCompiler({ schema: PublicUser, ...route });
    const user = { id: 7, email: 'a@example.com', is_active: true, is_superuser: false, is_verified: false, hashed_password: '$argon2id$…', token: 'secret' };
    assert.deepEqual(JSON.parse(serialize(user)), { id: 7, email: 'a@example.com', is_active: true, is_superuser: false, is_verified: false });
  });

  test('compile nothing until the first response: a schema is only read when a route first answers with it', () => {
    // An unresolvable $ref makes fast-json-stringify throw when it compiles; the compiler must not.
    const serialize = serializerCompiler({ schema: { $ref: 'nowhere#/missing' }, ...route });
    assert.throws(() => serialize({}));
  });

  test('the routes still answer with their schemas: 201 on /register carries the public user only', async () => {
    const { app, close } = await buildTestApp();
    try {
      const response = await register(app, 'serial@example.com');
      assert.equal(response.statusCode, 201);
      assert.deepEqual(Object.keys(response.json()).sort(), ['email', 'id', 'is_active', 'is_superuser', 'is_verified']);
    } finally {
      await close();
    }
  });
});
