import assert from 'node:assert/strict';
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { digestToken } from '../../src/core/token.js';
import { SQLiteSessionWatch } from '../../src/store/sql/sqlite-session-watch.js';
import { auth } from '../support/requests.js';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { form, register } from '../support/requests.js';
import { tempDir } from '../support/temp.js';
import { me } from './session-cache-helpers.js';

const USERS = ['ann@example.com', 'ben@example.com'];
const instance = fc.integer({ min: 0, max: 1 });
const user = fc.integer({ min: 0, max: USERS.length - 1 });
const session = fc.nat({ max: 20 });

/** One step of a run; instances are 0 and 1, sessions are picked among those issued so far. */
const step = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('request' as const), on: instance, session }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('sync' as const), on: instance }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('login' as const), on: instance, user }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('logout' as const), on: instance, session }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('revoke-others' as const), on: instance, session }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('toggle-active' as const), on: instance, user }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), on: instance, user }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('promote' as const), on: instance, user }), weight: 1 },
);
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

interface Issued { token: string; digest: string; user: number }
/** A change the other instance has not read yet: what it touched. */
interface Pending { digest?: string; user?: number }

/**
 * Random interleavings of logins, requests, logouts, revocations and user changes on two
 * instances of one SQLite database, each with its session cache. The change channel is polled
 * only by explicit `sync` steps, so the window between a change and its notice is as long as
 * the run makes it. Every answer is compared with the database's truth: always on the instance
 * that made the last change touching the session, and on the other once it has synced.
 */
describe('session cache: random interleavings across two instances agree with the database', () => {
  test('property', async () => {
    let runs = 0;
    let hits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        runs += 1;
        const dir = tempDir();
        const path = join(dir.path, 'auth.db');
        // The watchers' timers never fire within a run: only `sync` reads the other's changes.
        const watches = [new SQLiteSessionWatch(path, { intervalMs: 3_600_000 }), new SQLiteSessionWatch(path, { intervalMs: 3_600_000 })];
        let apps: TestApp[] = [];
        try {
          apps = [await buildTestApp({ sessionChannel: watches[0] }, { path }), await buildTestApp({ sessionChannel: watches[1] }, { path })];
          const ids: number[] = [];
          for (const email of USERS) ids.push((await register(apps[0]!.app, email)).json().id);
          const emails = [...USERS];
          const issued: Issued[] = [];
          const pending: Pending[][] = [[], []];
          const record = (on: number, change: Pending) => pending[1 - on]!.push(change);
          // Every user starts with a session opened on each instance, answered once by both.
          for (let u = 0; u < USERS.length; u += 1) for (const on of [0, 1]) await apply({ op: 'login', on, user: u });
          for (let i = 0; i < issued.length; i += 1) for (const on of [0, 1]) await apply({ op: 'request', on, session: i });
          for (const s of steps) await apply(s);
          hits += apps[0]!.app.fastifyUsers.auth.sessions!.stats.hits + apps[1]!.app.fastifyUsers.auth.sessions!.stats.hits;

          async function apply(s: Step): Promise<void> {
            const app = apps[s.on]!.app;
            const pick = 'session' in s && issued.length > 0 ? issued[s.session % issued.length]! : undefined;
            switch (s.op) {
              case 'login': {
                const response = await app.inject({ method: 'POST', url: '/token', ...form({ username: emails[s.user]!, password: PASSWORD }) });
                if (response.statusCode === 200) {
                  const token = response.json().access_token as string;
                  issued.push({ token, digest: digestToken(token), user: s.user });
                }
                return;
              }
              case 'request':
                if (pick) await check(s.on, pick);
                return;
              case 'logout':
                if (!pick) return;
                await app.inject({ method: 'POST', url: '/logout', headers: auth(pick.token) });
                record(s.on, { digest: pick.digest });
                return;
              case 'revoke-others':
                if (!pick) return;
                await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: auth(pick.token) });
                record(s.on, { user: pick.user });
                return;
              case 'toggle-active': {
                const current = (await apps[0]!.store.findUserById(ids[s.user]!))!;
                await app.fastifyUsers.account.updateUser(ids[s.user]!, { isActive: !current.isActive });
                record(s.on, { user: s.user });
                return;
              }
              case 'rename':
                emails[s.user] = `${emails[s.user]!.split('@')[0]!.split('+')[0]}+${issued.length}${Math.random().toString(36).slice(2, 6)}@example.com`;
                await app.fastifyUsers.account.updateUser(ids[s.user]!, { email: emails[s.user]! });
                record(s.on, { user: s.user });
                return;
              case 'promote': {
                const current = (await apps[0]!.store.findUserById(ids[s.user]!))!;
                await app.fastifyUsers.account.updateUser(ids[s.user]!, { isSuperuser: !current.isSuperuser });
                record(s.on, { user: s.user });
                return;
              }
              case 'sync':
                watches[s.on]!.poll();
                pending[s.on] = [];
                return;
            }
          }

          /** The answer of instance `on` for a session, against the database (read around the caches). */
          async function check(on: number, s: Issued): Promise<void> {
            const response = await me(apps[on]!.app, s.token);
            const unsure = pending[on]!.some((p) => p.digest === s.digest || p.user === s.user);
            if (unsure) return;
            const truth = await apps[0]!.store.findSession(s.digest, new Date());
            const valid = truth !== null && truth.user.isActive;
            assert.equal(response.statusCode, valid ? 200 : 401, `instance ${on}, session of ${USERS[s.user]}`);
            if (valid) {
              const body = response.json();
              assert.equal(body.email, truth.user.email);
              assert.equal(body.is_superuser, truth.user.isSuperuser);
              assert.equal(body.is_active, true);
            }
          }
        } finally {
          for (const t of apps) await t.close();
          dir.cleanup();
        }
      }),
      { numRuns: Number(process.env.SESSION_PROPERTY_RUNS ?? 25) },
    );
    assert.ok(runs >= 1);
    assert.ok(hits > runs, `the caches answered (${hits} hits in ${runs} runs)`);
  });
});
