import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { auth, bearerToken, userWithToken } from '../../support/requests.js';

/** `GET /users/me/events` and `GET /admin/events` (docs/audit.md, "Reading the log"). */
describe('reading the audit log over HTTP', () => {
  let t: TestApp;
  let root: string;
  let alice: { token: string; id: number };
  let bob: { token: string; id: number };
  before(async () => {
    t = await buildTestApp();
    await t.app.fastifyUsers.auth.register('events-root@example.com', PASSWORD, { isSuperuser: true });
    root = await bearerToken(t.app, 'events-root@example.com');
    const user = async (email: string) => {
      const token = await userWithToken(t.app, email);
      return { token, id: (await t.app.inject({ method: 'GET', url: '/users/me', headers: auth(token) })).json().id as number };
    };
    alice = await user('alice-events@example.com');
    bob = await user('bob-events@example.com');
    // Alice: three more sign-ins and a failed one; Bob one more sign-in.
    for (let i = 0; i < 3; i++) await bearerToken(t.app, 'alice-events@example.com');
    await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=alice-events%40example.com&password=wrong-password-1',
    });
    await bearerToken(t.app, 'bob-events@example.com');
  });
  after(async () => t.close());

  const get = (token: string | undefined, url: string) => t.app.inject({ method: 'GET', url, headers: token ? auth(token) : {} });

  test("the caller's own events, newest first, paged by id with `before`", async () => {
    const all = await get(alice.token, '/users/me/events?limit=200');
    assert.equal(all.statusCode, 200);
    const events = all.json() as { id: number; type: string; subject_user_id: number; detail: object; at: string; ip: string }[];
    assert.ok(
      events.every((e) => e.subject_user_id === alice.id),
      'only events about the caller',
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['sign_in.failed', 'sign_in.succeeded', 'sign_in.succeeded', 'sign_in.succeeded', 'sign_in.succeeded', 'user.registered'],
    );
    assert.deepEqual(events[0]!.detail, { method: 'password', reason: 'LOGIN_BAD_CREDENTIALS' });
    assert.ok(!Number.isNaN(Date.parse(events[0]!.at)));
    assert.ok(!('hash' in events[0]!), 'the hashes stay with events export');

    const first = (await get(alice.token, '/users/me/events?limit=2')).json() as { id: number }[];
    const second = (await get(alice.token, `/users/me/events?limit=2&before=${first.at(-1)!.id}`)).json() as { id: number }[];
    assert.deepEqual(
      [...first, ...second].map((e) => e.id),
      events.slice(0, 4).map((e) => e.id),
    );
  });

  test('needs a session; bad paging is 422, never 500', async () => {
    assert.equal((await get(undefined, '/users/me/events')).statusCode, 401);
    for (const query of ['limit=0', 'limit=201', 'before=0', 'before=abc', 'limit=1.5']) {
      const response = await get(alice.token, `/users/me/events?${query}`);
      assert.equal(response.statusCode, 422, query);
      assert.equal(response.json().code, 'VALIDATION_ERROR');
    }
  });

  test('GET /admin/events: superuser only, filtered by user, type and time', async () => {
    assert.equal((await get(alice.token, '/admin/events')).statusCode, 403);
    assert.equal((await get(undefined, '/admin/events')).statusCode, 401);
    const ofBob = (await get(root, `/admin/events?user_id=${bob.id}`)).json() as { subject_user_id: number; actor_user_id: number }[];
    assert.equal(ofBob.length, 3);
    assert.ok(ofBob.every((e) => e.subject_user_id === bob.id || e.actor_user_id === bob.id));
    const failed = (await get(root, '/admin/events?type=sign_in.failed')).json() as { type: string }[];
    assert.deepEqual(
      failed.map((e) => e.type),
      ['sign_in.failed'],
    );
    assert.deepEqual((await get(root, '/admin/events?since=2999-01-01T00:00:00Z')).json(), []);
    const limited = (await get(root, '/admin/events?limit=2')).json() as { id: number }[];
    assert.equal(limited.length, 2);
    assert.ok(limited[0]!.id > limited[1]!.id);
    for (const query of ['type=nope', 'since=yesterday', 'user_id=-1', 'limit=0']) {
      const response = await get(root, `/admin/events?${query}`);
      assert.equal(response.statusCode, 422, query);
    }
  });
});
