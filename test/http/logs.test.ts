import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORD } from '../support/constants.js';
import { cookieValue } from '../support/cookies.js';
import { form } from '../support/requests.js';
import { buildTestServer, type TestServer } from '../support/servers.js';
import { internalsOf } from '../support/internals.js';

/** A pino destination that keeps every line written to it. */
function captureStream() {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) }, text: () => lines.join('') };
}

describe('logs never hold a password, token or cookie (OWASP Logging CS, ASVS 16.2.5)', () => {
  let s: TestServer;
  const logs = captureStream();
  const secrets: string[] = [PASSWORD, 'a wrong password that is long'];

  before(async () => {
    s = await buildTestServer({ LOG_LEVEL: 'trace' }, { logStream: logs.stream });
  });
  after(async () => s.close());

  test('register, token, login, me, logout, failures and errors leave no secret in the log', async () => {
    const { app } = s;
    assert.equal((await app.inject({ method: 'POST', url: '/register', payload: { email: 'log@example.com', password: PASSWORD } })).statusCode, 201);

    const issued = await app.inject({ method: 'POST', url: '/token', ...form({ username: 'log@example.com', password: PASSWORD }) });
    assert.equal(issued.statusCode, 200);
    const token = issued.json().access_token as string;
    secrets.push(token);

    const login = await app.inject({ method: 'POST', url: '/login', ...form({ email: 'log@example.com', password: PASSWORD }) });
    assert.equal(login.statusCode, 204);
    const cookie = cookieValue(login, 'token');
    secrets.push(cookie);

    assert.equal((await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/users/me', cookies: { token: cookie } })).statusCode, 200);
    // A token or password in the query string is ignored by the routes and hidden in the log.
    await app.inject({ method: 'GET', url: `/users/me?access_token=${token}&password=${encodeURIComponent(PASSWORD)}` });

    // Failure paths: wrong password (401), a 422 carrying the password, a 400 policy refusal.
    await app.inject({ method: 'POST', url: '/token', ...form({ username: 'log@example.com', password: secrets[1]! }) });
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'not an email', password: PASSWORD } });
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'weak@example.com', password: 'Weak#Pass1' } });
    secrets.push('Weak#Pass1');

    // A 500: the error is logged, the request's secrets are not.
    const store = internalsOf(app).auth.store;
    const original = store.findUserByEmail.bind(store);
    store.findUserByEmail = async () => {
      throw new Error('database went away');
    };
    try {
      assert.equal((await app.inject({ method: 'POST', url: '/token', ...form({ username: 'log@example.com', password: PASSWORD }) })).statusCode, 500);
    } finally {
      store.findUserByEmail = original;
    }

    assert.equal((await app.inject({ method: 'POST', url: '/logout', headers: { authorization: `Bearer ${token}` } })).statusCode, 204);

    const text = logs.text();
    assert.ok(logs.lines.length > 10, 'the flows were logged');
    assert.match(text, /database went away/, 'the 500 was logged');
    assert.match(text, /\/users\/me\?\[redacted\]/, 'the query string was hidden');
    for (const secret of secrets) {
      assert.equal(text.includes(secret), false, `a secret (${secret.slice(0, 4)}…) appears in the log`);
      assert.equal(text.includes(encodeURIComponent(secret)), false);
    }
  });

  test('the redaction paths censor credentials when an object with them is logged', () => {
    logs.lines.length = 0;
    s.app.log.info(
      {
        req: { headers: { authorization: 'Bearer SECRET-A', cookie: 'token=SECRET-B', 'x-csrftoken': 'SECRET-C' } },
        res: { headers: { 'set-cookie': 'token=SECRET-D' } },
        body: { password: 'SECRET-E', current_password: 'SECRET-F', token: 'SECRET-G', access_token: 'SECRET-H' },
        user: { hashed_password: 'SECRET-I', hashedPassword: 'SECRET-J' },
      },
      'credential-shaped object',
    );
    const text = logs.text();
    assert.match(text, /credential-shaped object/);
    assert.match(text, /\[redacted\]/);
    assert.doesNotMatch(text, /SECRET-/);
  });
});

describe('request lines: one per request at info, the arrival at debug (docs/operations.md, "Logs")', () => {
  type Line = { msg: string; level: number; reqId?: string; req?: Record<string, unknown>; res?: { statusCode: number }; responseTime?: number };
  async function linesAt(level: string, run: (s: TestServer) => Promise<void>): Promise<Line[]> {
    const logs = captureStream();
    const s = await buildTestServer({ LOG_LEVEL: level }, { logStream: logs.stream });
    const before = logs.lines.length;
    try {
      await run(s);
    } finally {
      await s.close();
    }
    return logs.lines.slice(before).map((line) => JSON.parse(line) as Line);
  }
  const isRequestLine = (line: Line) => line.msg === 'incoming request' || line.msg === 'request completed';

  test('at info: one "request completed" line a request, with the request, the status and the time', async () => {
    const lines = await linesAt('info', async (s) => {
      assert.equal((await s.app.inject({ method: 'GET', url: '/health', headers: { host: 'auth.example.com' } })).statusCode, 200);
      assert.equal((await s.app.inject({ method: 'GET', url: '/users/me?secret=1' })).statusCode, 401);
    });
    const requestLines = lines.filter(isRequestLine);
    assert.deepEqual(
      requestLines.map((line) => [line.msg, line.req?.method, line.req?.url, line.res?.statusCode]),
      [
        ['request completed', 'GET', '/health', 200],
        ['request completed', 'GET', '/users/me?[redacted]', 401],
      ],
    );
    assert.equal(requestLines[0]!.req?.host, 'auth.example.com');
    assert.equal(typeof requestLines[0]!.req?.remoteAddress, 'string');
    assert.equal(typeof requestLines[0]!.responseTime, 'number');
    assert.notEqual(requestLines[0]!.reqId, requestLines[1]!.reqId);
  });

  test('at debug: the arrival too, with the same reqId as its completion', async () => {
    const lines = await linesAt('debug', async (s) => {
      assert.equal((await s.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    });
    const requestLines = lines.filter(isRequestLine);
    assert.deepEqual(
      requestLines.map((line) => line.msg),
      ['incoming request', 'request completed'],
    );
    assert.equal(requestLines[0]!.reqId, requestLines[1]!.reqId);
    assert.equal(requestLines[0]!.req?.url, '/health');
  });

  test('at warn: no request line', async () => {
    const lines = await linesAt('warn', async (s) => {
      assert.equal((await s.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    });
    assert.deepEqual(lines.filter(isRequestLine), []);
  });
});
