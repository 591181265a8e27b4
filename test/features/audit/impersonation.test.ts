import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp, testClock } from '../../support/apps.js';
import { PASSWORD } from '../../support/constants.js';
import { freshDatabase } from '../../support/databases.js';
import { auth, bearerToken, userWithToken } from '../../support/requests.js';
import { postgres } from '../../support/services.js';

const pg = postgres();

/** Support impersonation (docs/audit.md, "Impersonation"), each limit tested, on a SQLite file and on PostgreSQL. */
function impersonationSuite(name: string, database: () => Promise<{ databaseUrl?: string; drop: () => Promise<void> }>, skip: string | false = false) {
  describe(`impersonation: ${name}`, { skip }, () => {
    let t: TestApp;
    let drop: () => Promise<void>;
    const clock = testClock(new Date().toISOString());
    let root: string;
    let rootId: number;
    before(async () => {
      const db = await database();
      drop = db.drop;
      t = await buildTestApp({ now: () => clock.now, accessTokenLifetime: 3600 }, { databaseUrl: db.databaseUrl });
      await t.app.fastifyUsers.auth.register('imp-root@example.com', PASSWORD, { isSuperuser: true });
      root = await bearerToken(t.app, 'imp-root@example.com');
      rootId = (await me(root)).json().id;
    });
    after(async () => {
      await t.close();
      await drop();
    });

    const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: auth(token), payload });
    const me = (token: string) => call(token, 'GET', '/users/me');
    const user = async (email: string) => {
      const token = await userWithToken(t.app, email);
      return { token, id: (await me(token)).json().id as number };
    };
    const impersonate = (id: number, body: object = { reason: 'ticket #4711: cannot find the export button' }, token = root) =>
      call(token, 'POST', `/admin/users/${id}/impersonate`, body);
    const eventsOf = async (userId: number, type: string) => (await t.store.audit.list({ userId, type: type as 'sign_out', limit: 20 }))[0];

    test('a superuser gets a session for the user, at most 15 minutes, marked on GET /users/me; the start is recorded with the reason', async () => {
      const target = await user('imp-target@example.com');
      const response = await impersonate(target.id);
      assert.equal(response.statusCode, 200, response.body);
      const { access_token: token, expires_in: expiresIn, token_type: type } = response.json();
      assert.equal(type, 'bearer');
      assert.equal(expiresIn, 900);
      const seen = (await me(token)).json();
      assert.deepEqual([seen.id, seen.email, seen.impersonated_by], [target.id, 'imp-target@example.com', rootId]);
      // Twice: the second read must not lose the mark (such sessions are not cached).
      assert.equal((await me(token)).json().impersonated_by, rootId);
      assert.equal((await me(target.token)).json().impersonated_by, undefined, "the user's own session is not marked");
      const started = await eventsOf(target.id, 'impersonation.started');
      assert.deepEqual([started?.actorUserId, started?.subjectUserId], [rootId, target.id]);
      assert.equal((started!.detail as { reason: string }).reason, 'ticket #4711: cannot find the export button');
      assert.equal((started!.detail as { expires_at: string }).expires_at, new Date(clock.now.getTime() + 900_000).toISOString());

      clock.advance(15 * 60 + 1);
      assert.equal((await me(token)).statusCode, 401, 'gone after 15 minutes');
      assert.equal((await me(target.token)).statusCode, 200);
      clock.advance(-(15 * 60 + 1));
    });

    test('the reason is required; only a superuser may; never a superuser nor an inactive user; an unknown id is 404', async () => {
      const target = await user('imp-limits@example.com');
      for (const body of [{}, { reason: '' }, { reason: 'x\u0000y' }, { reason: 'r'.repeat(501) }]) {
        const response = await impersonate(target.id, body);
        assert.equal(response.statusCode, 422, JSON.stringify(body));
      }
      const other = await user('imp-other@example.com');
      assert.deepEqual(
        [(await impersonate(target.id, undefined, other.token)).statusCode, (await impersonate(target.id, undefined, other.token)).json().code],
        [403, 'FORBIDDEN'],
      );
      await t.app.fastifyUsers.auth.register('imp-root2@example.com', PASSWORD, { isSuperuser: true });
      const root2 = (await t.store.findUserByEmail('imp-root2@example.com'))!;
      const superuser = await impersonate(root2.id);
      assert.deepEqual([superuser.statusCode, superuser.json().code], [403, 'IMPERSONATION_FORBIDDEN']);
      assert.equal((await impersonate(rootId)).statusCode, 403, 'not oneself either');
      await call(root, 'PATCH', `/users/${other.id}`, { is_active: false });
      assert.equal((await impersonate(other.id)).json().code, 'IMPERSONATION_FORBIDDEN');
      assert.equal((await impersonate(999_999)).statusCode, 404);
      assert.equal((await t.store.audit.list({ type: 'impersonation.started', subjectUserId: root2.id, limit: 5 })).length, 0);
      // Every way in records its refusals (docs/audit.md): here with the superuser who tried as the actor.
      const refused = (await t.store.audit.list({ type: 'sign_in.failed', subjectUserId: root2.id, limit: 5 }))[0];
      assert.deepEqual([refused?.actorUserId, refused?.detail], [rootId, { method: 'impersonation', reason: 'IMPERSONATION_FORBIDDEN' }]);
    });

    test('a user made superuser during a support session: that session still gets no superuser route', async () => {
      const target = await user('imp-promoted@example.com');
      const token = (await impersonate(target.id)).json().access_token as string;
      assert.equal((await call(root, 'PATCH', `/users/${target.id}`, { is_superuser: true })).statusCode, 200);
      for (const url of ['/users', '/admin/events']) {
        const response = await call(token, 'GET', url);
        assert.deepEqual([response.statusCode, response.json().code], [403, 'IMPERSONATION_READ_ONLY'], url);
      }
      const nested = await impersonate(target.id, undefined, token);
      assert.equal(nested.statusCode, 403);
    });

    test('password, email, TOTP, passkeys, API keys, provider links and deleting the account answer 403 IMPERSONATION_READ_ONLY', async () => {
      const target = await user('imp-readonly@example.com');
      const token = (await impersonate(target.id)).json().access_token as string;
      const refused: [string, string, object | undefined][] = [
        ['PATCH', '/users/me', { password: 'a brand new passphrase', current_password: PASSWORD }],
        ['PATCH', '/users/me', { email: 'taken-over@example.com', current_password: PASSWORD }],
        ['DELETE', '/users/me', { current_password: PASSWORD }],
        ['POST', '/users/me/totp', { current_password: PASSWORD }],
        ['POST', '/users/me/totp/confirm', { code: '123456' }],
        ['DELETE', '/users/me/totp', { current_password: PASSWORD, code: '123456' }],
        ['POST', '/users/me/passkeys/options', undefined],
        ['POST', '/users/me/passkeys', { name: 'planted', response: {} }],
        ['DELETE', '/users/me/passkeys/1', undefined],
        ['POST', '/users/me/api-keys', { name: 'backdoor' }],
        ['DELETE', '/users/me/api-keys/1', undefined],
        ['POST', '/users/me/reauthenticate', { current_password: PASSWORD }],
        ['DELETE', '/users/me/accounts/1', undefined],
        ['POST', '/oauth/github/link', undefined],
        ['POST', '/orgs/1/api-keys', { name: 'backdoor' }],
        ['DELETE', '/orgs/1/api-keys/1', undefined],
      ];
      for (const [method, url, payload] of refused) {
        const response = await call(token, method as 'POST', url, payload);
        assert.deepEqual([response.statusCode, response.json().code], [403, 'IMPERSONATION_READ_ONLY'], `${method} ${url}`);
      }
      const fresh = (await t.store.findUserById(target.id))!;
      assert.equal(fresh.email, 'imp-readonly@example.com');
      assert.equal((await call(target.token, 'GET', '/users/me/api-keys')).json().length, 0);
      // Reading is allowed, and the user's own session still changes things.
      assert.equal((await call(token, 'GET', '/users/me/sessions')).statusCode, 200);
      assert.equal((await call(token, 'GET', '/users/me/events')).statusCode, 200);
      assert.equal((await call(target.token, 'POST', '/users/me/api-keys', { name: 'mine' })).statusCode, 201);
    });

    test('what the session does is recorded with the superuser as actor; stopping it ends it and is recorded; /logout too', async () => {
      const target = await user('imp-actions@example.com');
      const token = (await impersonate(target.id)).json().access_token as string;
      assert.equal((await call(token, 'DELETE', '/users/me/sessions')).statusCode, 204);
      const revoked = await eventsOf(target.id, 'session.revoked');
      assert.deepEqual([revoked?.actorUserId, revoked?.subjectUserId], [rootId, target.id]);

      // That ended the user's own session (it was one of the others); an ordinary session cannot "stop".
      assert.equal((await me(target.token)).statusCode, 401);
      const notImpersonating = await call(root, 'POST', '/users/me/impersonation/stop');
      assert.deepEqual([notImpersonating.statusCode, notImpersonating.json().code], [400, 'NOT_IMPERSONATING']);
      assert.equal((await call(token, 'POST', '/users/me/impersonation/stop')).statusCode, 204);
      assert.equal((await me(token)).statusCode, 401);
      const ended = await eventsOf(target.id, 'impersonation.ended');
      assert.deepEqual([ended?.actorUserId, ended?.subjectUserId, ended?.detail], [rootId, target.id, { how: 'stopped' }]);
      assert.equal((await me(root)).statusCode, 200, "the superuser's own session goes on");

      const second = (await impersonate(target.id)).json().access_token as string;
      assert.equal((await call(second, 'POST', '/logout')).statusCode, 204);
      assert.deepEqual((await eventsOf(target.id, 'impersonation.ended'))?.detail, { how: 'signed_out' });
      assert.equal((await me(second)).statusCode, 401);
      assert.equal((await t.store.audit.verify()).ok, true);
    });
  });
}

impersonationSuite('SQLite file', async () => ({ drop: async () => {} }));
impersonationSuite(
  'PostgreSQL',
  async () => {
    const fresh = await freshDatabase(pg.value!, 'impersonate', { migrated: true });
    return { databaseUrl: fresh.url, drop: () => fresh.drop() };
  },
  pg.skip,
);
