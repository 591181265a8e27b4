import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { auth, form, userWithToken } from '../support/requests.js';

const WRONG = 'not the current password at all';

describe('current-password checks are throttled like logins', () => {
  let t: TestApp;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let alice: string;
  let bob: string;

  before(async () => {
    t = await buildTestApp({ now: () => new Date(now) });
    alice = await userWithToken(t.app, 'alice@example.com');
    bob = await userWithToken(t.app, 'bob@example.com');
  });
  after(async () => t.close());

  function patchMe(session: string, currentPassword: string, remoteAddress = '192.0.2.1') {
    return t.app.inject({ method: 'PATCH', url: '/users/me', remoteAddress, headers: auth(session), payload: { current_password: currentPassword } });
  }

  function deleteMe(session: string, currentPassword: string, remoteAddress = '192.0.2.1') {
    return t.app.inject({ method: 'DELETE', url: '/users/me', remoteAddress, headers: auth(session), payload: { current_password: currentPassword } });
  }

  test('after 5 wrong current passwords: 429 with Retry-After, even for the right one, on PATCH and DELETE alike; free after the window', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await patchMe(alice, WRONG)).statusCode, 401);
    for (let i = 0; i < 2; i++) assert.equal((await deleteMe(alice, WRONG)).statusCode, 401);
    now += 60_000;
    const refused = await patchMe(alice, PASSWORD);
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(refused.json(), { detail: 'Too many attempts, try again later', code: 'TOO_MANY_REQUESTS' });
    assert.equal(refused.headers['retry-after'], '840');
    assert.equal((await deleteMe(alice, PASSWORD)).statusCode, 429, 'DELETE shares the counters');
    assert.equal((await patchMe(bob, PASSWORD)).statusCode, 200, 'another user is not affected');
    now += 840_000;
    assert.equal((await patchMe(alice, PASSWORD)).statusCode, 200);
  });

  test('a right current password clears the count of its user and address', async () => {
    now += 900_000;
    for (let i = 0; i < 4; i++) assert.equal((await patchMe(alice, WRONG, '192.0.2.2')).statusCode, 401);
    assert.equal((await patchMe(alice, PASSWORD, '192.0.2.2')).statusCode, 200);
    for (let i = 0; i < 5; i++) assert.equal((await patchMe(alice, WRONG, '192.0.2.2')).statusCode, 401);
    assert.equal((await patchMe(alice, WRONG, '192.0.2.2')).statusCode, 429);
  });

  test('per user from anywhere: 10 wrong current passwords spread over addresses lock that check for the user', async () => {
    now += 900_000;
    for (let i = 0; i < 10; i++) assert.equal((await patchMe(alice, WRONG, `198.51.100.${i}`)).statusCode, 401);
    assert.equal((await patchMe(alice, PASSWORD, '203.0.113.1')).statusCode, 429);
    assert.equal((await patchMe(bob, PASSWORD, '203.0.113.1')).statusCode, 200);
  });

  test('charged before the hash: of 20 concurrent wrong current passwords, exactly 5 are checked (401), the rest 429', async () => {
    now += 900_000;
    const responses = await Promise.all(Array.from({ length: 20 }, () => deleteMe(bob, WRONG, '192.0.2.3')));
    const codes = responses.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 401).length, 5);
    assert.equal(codes.filter((c) => c === 429).length, 15);
  });
});

describe("one client's password checks do not starve another's login", () => {
  let t: TestApp;

  before(async () => {
    t = await buildTestApp({
      // Two hashing slots, each hash long enough to queue behind; limits high enough that every
      // one of the attacker's checks reaches the hasher.
      hashConcurrency: 2,
      argon2: { memoryCost: 2048, timeCost: 1, parallelism: 1 },
      throttle: { identifierAddressLimit: 1000, identifierLimit: 1000 },
    });
  });
  after(async () => t.close());

  test("64 parallel wrong current passwords from one user: another user's login is served before most of them", async () => {
    const attacker = await userWithToken(t.app, 'mallory@example.com');
    await userWithToken(t.app, 'carol@example.com');
    const finished: string[] = [];
    const track = <T>(name: string, promise: Promise<T>) =>
      promise.then((response) => {
        finished.push(name);
        return response;
      });
    const flood = Array.from({ length: 64 }, (_, i) =>
      track(
        `mallory-${i}`,
        t.app.inject({
          method: 'PATCH',
          url: '/users/me',
          remoteAddress: '203.0.113.66',
          headers: auth(attacker),
          payload: { current_password: WRONG },
        }),
      ),
    );
    const login = await track(
      'carol',
      t.app.inject({ method: 'POST', url: '/token', remoteAddress: '192.0.2.99', ...form({ username: 'carol@example.com', password: PASSWORD }) }),
    );
    assert.equal(login.statusCode, 200);
    const responses = await Promise.all(flood);
    assert.ok(responses.every((r) => r.statusCode === 401));
    const position = finished.indexOf('carol');
    // Served in turn with the attacker: behind the few hashes in flight, not behind 64 queued ones.
    assert.ok(position < 16, `carol's login finished ${position + 1}th of 65`);
  });
});
