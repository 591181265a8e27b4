import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, type TestApp } from '../support/apps.js';
import { PASSWORD } from '../support/constants.js';
import { form, register } from '../support/requests.js';
import { buildTestServer, type TestServer } from '../support/servers.js';
import { countDummyVerifications } from '../support/hashing.js';

const EMAIL = 'alice@example.com';
const WRONG = 'wrong password, long enough';

function token(app: FastifyInstance, username: string, password: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) {
  const body = form({ username, password });
  return app.inject({ method: 'POST', url: '/token', remoteAddress, headers: { ...body.headers, ...headers }, payload: body.payload });
}

function login(app: FastifyInstance, email: string, password: string, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/login', remoteAddress, ...form({ email, password }) });
}

describe('login throttling over HTTP', () => {
  let t: TestApp;
  let now = Date.parse('2026-01-01T00:00:00Z');
  before(async () => {
    t = await buildTestApp({ now: () => new Date(now) });
    assert.equal((await register(t.app, EMAIL)).statusCode, 201);
  });
  after(async () => t.close());

  test('after 5 failures: 429 TOO_MANY_REQUESTS with Retry-After, even for the right password; free again after the window', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await token(t.app, EMAIL, WRONG, '192.0.2.10')).statusCode, 401);
    now += 60_000;
    const refused = await token(t.app, EMAIL, PASSWORD, '192.0.2.10');
    assert.equal(refused.statusCode, 429);
    assert.deepEqual(refused.json(), { detail: 'Too many attempts, try again later', code: 'TOO_MANY_REQUESTS' });
    assert.equal(refused.headers['retry-after'], '840');
    assert.equal((await login(t.app, EMAIL, PASSWORD, '192.0.2.10')).statusCode, 429, '/login shares the counters');
    now += 840_000;
    assert.equal((await token(t.app, EMAIL, PASSWORD, '192.0.2.10')).statusCode, 200);
  });

  test('/login failures count too', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login(t.app, EMAIL, WRONG, '192.0.2.20')).statusCode, 401);
    assert.equal((await login(t.app, EMAIL, PASSWORD, '192.0.2.20')).statusCode, 429);
    now += 900_000;
  });

  test('unknown identifiers are throttled like known ones', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await token(t.app, 'nobody@example.com', WRONG, '192.0.2.30')).statusCode, 401);
    assert.equal((await token(t.app, 'NOBODY@example.com', WRONG, '192.0.2.30')).statusCode, 429);
  });

  test('IPv6 clients of one /64 share a counter', async () => {
    for (let i = 1; i <= 5; i++) assert.equal((await token(t.app, EMAIL, WRONG, `2001:db8:5:5::${i}`)).statusCode, 401);
    assert.equal((await token(t.app, EMAIL, PASSWORD, '2001:db8:5:5:abcd::1')).statusCode, 429);
    assert.equal((await token(t.app, EMAIL, PASSWORD, '2001:db8:5:6::1')).statusCode, 200, 'another /64 is another client');
  });

  test('a success resets the identifier count', async () => {
    now += 900_000;
    for (let i = 0; i < 4; i++) assert.equal((await token(t.app, EMAIL, WRONG, '192.0.2.40')).statusCode, 401);
    assert.equal((await token(t.app, EMAIL, PASSWORD, '192.0.2.40')).statusCode, 200);
    for (let i = 0; i < 5; i++) assert.equal((await token(t.app, EMAIL, WRONG, '192.0.2.40')).statusCode, 401);
    assert.equal((await token(t.app, EMAIL, WRONG, '192.0.2.40')).statusCode, 429);
  });

  test('20 concurrent wrong logins with limit 5: exactly 5 reach the password check', async () => {
    now += 900_000;
    const dummies = countDummyVerifications(t.app);
    const responses = await Promise.all(Array.from({ length: 20 }, () => token(t.app, 'ghost@example.com', WRONG, '192.0.2.50')));
    const codes = responses.map((r) => r.statusCode);
    assert.equal(codes.filter((c) => c === 401).length, 5);
    assert.equal(codes.filter((c) => c === 429).length, 15);
    assert.equal(dummies(), 5, 'only 5 password checks ran');
  });
});

describe('per-identifier, per-address and registration limits', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ throttle: { addressLimit: 8, registerLimit: 3 } });
  });
  after(async () => t.close());

  test('registrations per address: the fourth is 429, another address may still register', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/register',
        remoteAddress: '198.51.100.1',
        payload: { email: `r${i}@example.com`, password: PASSWORD },
      });
      assert.equal(response.statusCode, 201);
    }
    const refused = await t.app.inject({
      method: 'POST',
      url: '/register',
      remoteAddress: '198.51.100.1',
      payload: { email: 'r9@example.com', password: PASSWORD },
    });
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(await t.store.findUserByEmail('r9@example.com'), null, 'nothing stored');
    const other = await t.app.inject({
      method: 'POST',
      url: '/register',
      remoteAddress: '198.51.100.2',
      payload: { email: 'r9@example.com', password: PASSWORD },
    });
    assert.equal(other.statusCode, 201);
  });

  test('per identifier from anywhere: 10 failures spread over addresses lock that identifier only', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await token(t.app, 'r0@example.com', WRONG, `203.0.113.${i % 2}`)).statusCode, 401);
    assert.equal((await token(t.app, 'r0@example.com', PASSWORD, '203.0.113.99')).statusCode, 429);
    assert.equal((await token(t.app, 'r1@example.com', PASSWORD, '203.0.113.99')).statusCode, 200);
  });

  test('only failures count against an address: more successful logins than the limit all pass', async () => {
    // Limit 8 per address; 12 successes from one NAT'd office address, then 7 failures still pass.
    for (let i = 0; i < 12; i++) assert.equal((await token(t.app, `r${1 + (i % 2)}@example.com`, PASSWORD, '192.0.2.77')).statusCode, 200, `login ${i}`);
    for (let i = 0; i < 7; i++) assert.equal((await token(t.app, `office${i}@example.com`, WRONG, '192.0.2.77')).statusCode, 401);
    assert.equal((await token(t.app, 'r1@example.com', PASSWORD, '192.0.2.77')).statusCode, 200, 'the 8th attempt is still allowed');
    assert.equal((await token(t.app, 'office9@example.com', WRONG, '192.0.2.77')).statusCode, 401);
    assert.equal((await token(t.app, 'r1@example.com', PASSWORD, '192.0.2.77')).statusCode, 429, 'the 9th failure-counted attempt is over');
  });

  test('per address whatever the identifier (spraying): over the limit is 429', async () => {
    for (let i = 0; i < 8; i++) assert.equal((await token(t.app, `spray${i}@example.com`, WRONG, '203.0.113.200')).statusCode, 401);
    assert.equal((await token(t.app, 'r2@example.com', PASSWORD, '203.0.113.200')).statusCode, 429);
  });
});

describe('client address behind proxies (TRUSTED_PROXIES)', () => {
  let s: TestServer;
  before(async () => {
    s = await buildTestServer({ TRUSTED_PROXIES: '10.0.0.1' });
    assert.equal((await s.app.inject({ method: 'POST', url: '/register', payload: { email: EMAIL, password: PASSWORD } })).statusCode, 201);
  });
  after(async () => s.close());

  test('a spoofed X-Forwarded-For from an untrusted peer is ignored', async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await token(s.app, EMAIL, WRONG, '192.0.2.77', { 'x-forwarded-for': `198.51.100.${i}` })).statusCode, 401);
    }
    const response = await token(s.app, EMAIL, PASSWORD, '192.0.2.77', { 'x-forwarded-for': '198.51.100.200' });
    assert.equal(response.statusCode, 429, 'all five were counted against the peer, whatever the header said');
  });

  test('X-Forwarded-For from a trusted proxy names the client', async () => {
    const viaProxy = (xff: string, password: string) => token(s.app, 'bob@example.com', password, '10.0.0.1', { 'x-forwarded-for': xff });
    for (let i = 0; i < 5; i++) assert.equal((await viaProxy('198.51.100.1', WRONG)).statusCode, 401);
    assert.equal((await viaProxy('198.51.100.1', WRONG)).statusCode, 429, 'the client behind the proxy is throttled');
    assert.equal((await viaProxy('198.51.100.2', WRONG)).statusCode, 401, 'another client behind the same proxy is not');
  });

  test('IPv6 forms that carry an IPv4 address count as that address', async () => {
    const forms = ['::ffff:198.51.100.7', '::198.51.100.7', '64:ff9b::198.51.100.7', '2002:c633:6407::1', '2001:0:4136:e378:8000:63bf:39cc:9bf8'];
    const viaProxy = (xff: string) => token(s.app, 'carol@example.com', WRONG, '10.0.0.1', { 'x-forwarded-for': xff });
    for (const form of forms) assert.equal((await viaProxy(form)).statusCode, 401, form);
    assert.equal((await viaProxy('198.51.100.7')).statusCode, 429, "the five forms filled the IPv4 address's counter");
  });
});
