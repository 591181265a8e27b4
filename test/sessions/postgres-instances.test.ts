import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../support/constants.js';
import { postgres } from '../support/services.js';
import { freshDatabase, type FreshDatabase } from '../support/databases.js';
import { startServer, type ServerProcess } from '../support/processes.js';
import { login, registerAndLogin } from '../support/requests.js';
import { refusedWithin, runCLI } from '../support/session-cache.js';

const pg = postgres();
const NEW_PASSWORD = 'another long passphrase for tests';

function call(url: string, method: string, path: string, token: string, body?: unknown) {
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const me = (url: string, token: string) => call(url, 'GET', '/users/me', token);

/**
 * Two real server processes on one PostgreSQL database, each with its session cache: a change
 * made through A (or the CLI, or SQL by hand) is refused by B within 1 s, although B answered the
 * session from memory a moment before (docs/session-cache.md).
 */
describe('session cache across two server processes on PostgreSQL', { skip: pg.skip }, () => {
  let database: FreshDatabase;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: string;
  let counter = 0;
  const fresh = () => `user${(counter += 1)}@example.com`;

  /** Answers twice on B, so the second answer comes from B's memory. */
  async function warmOnB(token: string): Promise<void> {
    for (let i = 0; i < 2; i += 1) assert.equal((await me(b.url, token)).status, 200);
  }

  /** Polls B until `token` is refused; fails if a request sent 1 s after the change is still served. */
  async function refusedOnB(token: string, since: number): Promise<void> {
    await refusedWithin(async () => (await me(b.url, token)).status, since);
  }

  before(async () => {
    database = await freshDatabase(pg.value!, 'sessions');
    const env = { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '3' };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
    await registerAndLogin(a.url, 'admin@example.com', PASSWORD);
    const db = new (await import('pg')).default.Client({ connectionString: database.url });
    await db.connect();
    await db.query(`update users set is_superuser = true where email = 'admin@example.com'`);
    await db.end();
    admin = await login(a.url, 'admin@example.com', PASSWORD);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  test('logout', async () => {
    const token = await registerAndLogin(a.url, fresh(), PASSWORD);
    await warmOnB(token);
    assert.equal((await call(a.url, 'POST', '/logout', token)).status, 204);
    await refusedOnB(token, performance.now());
  });

  test('password change (other sessions) and one session revoked from the list', async () => {
    const email = fresh();
    const current = await registerAndLogin(a.url, email, PASSWORD);
    const other = await login(a.url, email, PASSWORD);
    await warmOnB(other);
    assert.equal((await call(a.url, 'PATCH', '/users/me', current, { password: NEW_PASSWORD, current_password: PASSWORD })).status, 200);
    await refusedOnB(other, performance.now());
    const third = await login(a.url, email, NEW_PASSWORD);
    await warmOnB(third);
    const list = (await (await call(a.url, 'GET', '/users/me/sessions', current)).json()) as { id: string; current: boolean }[];
    const target = list.find((s) => !s.current)!;
    assert.equal((await call(a.url, 'DELETE', `/users/me/sessions/${target.id}`, current)).status, 204);
    await refusedOnB(third, performance.now());
    assert.equal((await me(b.url, current)).status, 200);
  });

  test('all other sessions revoked, then the account deleted', async () => {
    const email = fresh();
    const current = await registerAndLogin(a.url, email, PASSWORD);
    const other = await login(a.url, email, PASSWORD);
    await warmOnB(other);
    await warmOnB(current);
    assert.equal((await call(a.url, 'DELETE', '/users/me/sessions', current)).status, 204);
    await refusedOnB(other, performance.now());
    assert.equal((await call(a.url, 'DELETE', '/users/me', current, { current_password: PASSWORD })).status, 204);
    await refusedOnB(current, performance.now());
  });

  test('password reset', async () => {
    const email = fresh();
    const token = await registerAndLogin(a.url, email, PASSWORD);
    await warmOnB(token);
    const forgot = await fetch(`${a.url}/forgot-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    assert.equal(forgot.status, 202);
    let resetToken: string | undefined;
    for (let i = 0; i < 100 && !resetToken; i += 1) {
      resetToken = new RegExp(`"to":"${email}"[^\\n]*?token=([\\w-]+)`).exec(a.output())?.[1];
      if (!resetToken) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(resetToken, 'the development mailer logged the link');
    const reset = await fetch(`${a.url}/reset-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: resetToken, password: NEW_PASSWORD }),
    });
    assert.equal(reset.status, 200);
    await refusedOnB(token, performance.now());
  });

  test('a superuser deactivates, demotes, renames and deletes', async () => {
    const id = async (token: string) => ((await (await me(a.url, token)).json()) as { id: number }).id;
    const deactivated = await registerAndLogin(a.url, fresh(), PASSWORD);
    await warmOnB(deactivated);
    assert.equal((await call(a.url, 'PATCH', `/users/${await id(deactivated)}`, admin, { is_active: false })).status, 200);
    await refusedOnB(deactivated, performance.now());

    const renamed = await registerAndLogin(a.url, fresh(), PASSWORD);
    await warmOnB(renamed);
    assert.equal((await call(a.url, 'PATCH', `/users/${await id(renamed)}`, admin, { email: 'renamed@example.com', is_superuser: true })).status, 200);
    await refusedWithin(
      async () => {
        const body = (await (await me(b.url, renamed)).json()) as { email: string; is_superuser: boolean };
        return body.email === 'renamed@example.com' && body.is_superuser ? 1 : 0;
      },
      performance.now(),
      1000,
      1,
    );

    const deleted = await registerAndLogin(a.url, fresh(), PASSWORD);
    await warmOnB(deleted);
    assert.equal((await call(a.url, 'DELETE', `/users/${await id(deleted)}`, admin)).status, 204);
    await refusedOnB(deleted, performance.now());
  });

  test('SQL by hand and the CLI, outside any server, reach both', async () => {
    const email = fresh();
    const token = await registerAndLogin(a.url, email, PASSWORD);
    await warmOnB(token);
    const run = await runCLI(['revoke-sessions', email], { DATABASE_URL: database.url });
    assert.equal(run.code, 0, run.output);
    await refusedOnB(token, performance.now());

    const second = await login(a.url, email, PASSWORD);
    await warmOnB(second);
    assert.equal((await me(a.url, second)).status, 200);
    const db = new (await import('pg')).default.Client({ connectionString: database.url });
    await db.connect();
    try {
      await db.query('update users set is_active = false where email = $1', [email]);
    } finally {
      await db.end();
    }
    const since = performance.now();
    await refusedOnB(second, since);
    await refusedWithin(async () => (await me(a.url, second)).status, since);
  });
});
