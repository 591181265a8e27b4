/**
 * The session cache's property, shared by every deployment it runs on
 * (test/sessions/interleavings.test.ts): random interleavings of logins, requests, logouts,
 * revocations and user changes on two instances of one database, each answer compared with the
 * database's truth.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { digestToken } from '../../src/core/token.js';
import type { TestApp } from './apps.js';
import { PASSWORD } from './constants.js';
import { auth, form, register } from './requests.js';
import { internalsOf } from './internals.js';

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

/** Two instances of the plugin on one database, each with its session cache, for one run. */
export interface TwoInstances {
  apps: readonly [TestApp, TestApp];
  /**
   * Returns once instance `on` has heard of every change made before the call (by either
   * instance); from then on it must agree with the database.
   */
  sync(on: number): Promise<void>;
  close(): Promise<void>;
}

interface Issued {
  token: string;
  digest: string;
  user: number;
}
/** A change the other instance may not have heard of yet: what it touched. */
interface Pending {
  digest?: string;
  user?: number;
}

/**
 * Runs the property `numRuns` times, each run on instances fresh from `open`. An instance must
 * agree with the database about a session at once when it made the last change touching it,
 * and after its next `sync` when the other instance did; until then its answer is not judged.
 * Resolves with the number of runs and of answers the caches gave.
 */
export async function checkInterleavings(open: () => Promise<TwoInstances>, numRuns: number): Promise<{ runs: number; hits: number }> {
  let runs = 0;
  let hits = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
      runs += 1;
      const instances = await open();
      try {
        hits += await run(instances, steps);
      } finally {
        await instances.close();
      }
    }),
    { numRuns },
  );
  return { runs, hits };
}

/** One run: returns how many answers came from the caches. */
async function run({ apps, sync }: TwoInstances, steps: Step[]): Promise<number> {
  const store = apps[0].store;
  const ids: number[] = [];
  for (const email of USERS) ids.push((await register(apps[0].app, email)).json().id);
  const emails = [...USERS];
  const issued: Issued[] = [];
  const pending: Pending[][] = [[], []];
  const record = (on: number, change: Pending) => pending[1 - on]!.push(change);
  let renames = 0;

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
        const current = (await store.findUserById(ids[s.user]!))!;
        await app.fastifyUsers.account.updateUser(ids[s.user]!, { isActive: !current.isActive });
        record(s.on, { user: s.user });
        return;
      }
      case 'rename':
        renames += 1;
        emails[s.user] = USERS[s.user]!.replace('@', `+${renames}@`);
        await app.fastifyUsers.account.updateUser(ids[s.user]!, { email: emails[s.user]! });
        record(s.on, { user: s.user });
        return;
      case 'promote': {
        const current = (await store.findUserById(ids[s.user]!))!;
        await app.fastifyUsers.account.updateUser(ids[s.user]!, { isSuperuser: !current.isSuperuser });
        record(s.on, { user: s.user });
        return;
      }
      case 'sync':
        pending[s.on] = [];
        await sync(s.on);
        return;
    }
  }

  /** The answer of instance `on` for a session, against the database (read around the caches). */
  async function check(on: number, s: Issued): Promise<void> {
    const response = await apps[on]!.app.inject({ method: 'GET', url: '/users/me', headers: auth(s.token) });
    const unsure = pending[on]!.some((p) => p.digest === s.digest || p.user === s.user);
    if (unsure) return;
    const truth = await store.findSession(s.digest, new Date());
    const valid = truth !== null && truth.user.isActive;
    assert.equal(response.statusCode, valid ? 200 : 401, `instance ${on}, session of ${USERS[s.user]}`);
    if (valid) {
      const body = response.json();
      assert.equal(body.email, truth.user.email);
      assert.equal(body.is_superuser, truth.user.isSuperuser);
      assert.equal(body.is_active, true);
    }
  }

  // Every user starts with a session opened on each instance, answered once by both.
  for (let u = 0; u < USERS.length; u += 1) for (const on of [0, 1]) await apply({ op: 'login', on, user: u });
  for (const on of [0, 1]) await sync(on);
  for (let i = 0; i < issued.length; i += 1) for (const on of [0, 1]) await apply({ op: 'request', on, session: i });
  for (const s of steps) await apply(s);
  return apps.reduce((sum, t) => sum + internalsOf(t.app).auth.sessions!.stats.hits, 0);
}
