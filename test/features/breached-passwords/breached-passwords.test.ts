import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESET_PASSWORD_LINK_PATH } from '../../../src/core/account-tokens.js';
import { BREACHED_REASON } from '../../../src/features/breached-passwords/breached-screen.js';
import { rangeKeyOf } from '../../../src/features/breached-passwords/sha1-range.js';
import { fastifyUsers, type FastifyUsersOptions } from '../../../src/http/plugin.js';
import { handleError } from '../../../src/http/reply-error.js';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../../support/constants.js';
import { internalsOf } from '../../support/internals.js';
import { auth, bearerToken, register, userWithToken } from '../../support/requests.js';
import { freePort } from '../../support/servers.js';
import { sqliteURL, tempDir } from '../../support/temp.js';
import { startRangeAPIStandIn, type RangeAPIStandIn } from './range-api-stand-in.js';
import { writeRangeFolder } from './range-fixture.js';

/** Passwords the policy accepts (long, not common) that the generated corpus lists as breached. */
const BREACHED = 'tr0ub4dor and three more words';
const ALSO_BREACHED = 'another leaked long passphrase';
/** Listed with a count of 0, as the API's padding lines are: not a match. */
const PADDING_ONLY = 'only ever seen as padding line';
const FRESH = 'a passphrase nobody has leaked yet';

interface LoggedApp {
  app: FastifyInstance;
  logs: { level: number; msg: string }[];
  close(): Promise<void>;
}

/** The plugin on a real SQLite file, its log lines kept (level ≥ warn). */
async function loggedApp(options: Partial<FastifyUsersOptions>): Promise<LoggedApp> {
  const dir = tempDir();
  const store = await SQLStore.open(sqliteURL(dir));
  const logs: { level: number; msg: string }[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } });
  app.setErrorHandler(handleError);
  await app.register(fastifyUsers, { store, secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true, ...options });
  await app.ready();
  return {
    app,
    logs,
    close: async () => {
      await app.close();
      await store.close();
      dir.cleanup();
    },
  };
}

const breachLogs = (t: LoggedApp) => t.logs.filter((l) => /breached-password/.test(l.msg));

async function resetToken(app: FastifyInstance, email: string): Promise<string> {
  const mail = await internalsOf(app).accountTokens.forgotPassword(email);
  const at = mail!.text.indexOf(RESET_PASSWORD_LINK_PATH);
  return /^[A-Za-z0-9_-]+/.exec(mail!.text.slice(at + RESET_PASSWORD_LINK_PATH.length))![0];
}

describe('breached passwords from a range folder (registration, reset, change)', () => {
  const dir = tempDir('breached-');
  let t: LoggedApp;
  before(async () => {
    writeRangeFolder(dir.path, {
      passwords: { [BREACHED]: 3, [ALSO_BREACHED]: 1_234_567, [PADDING_ONLY]: 0 },
      extraPrefixes: [rangeKeyOf(FRESH).prefix, rangeKeyOf(PASSWORD).prefix],
    });
    t = await loggedApp({ breachedPasswords: { rangeFolder: dir.path } });
  });
  after(async () => {
    await t.close();
    dir.cleanup();
  });

  test('registration with a breached password is 400 REGISTER_INVALID_PASSWORD saying so; others register', async () => {
    for (const password of [BREACHED, ALSO_BREACHED]) {
      const response = await register(t.app, 'breached@example.com', password);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json(), { detail: BREACHED_REASON, code: 'REGISTER_INVALID_PASSWORD' });
    }
    assert.equal((await register(t.app, 'padding@example.com', PADDING_ONLY)).statusCode, 201, 'a count of 0 is not a breach');
    assert.equal((await register(t.app, 'fresh@example.com', FRESH)).statusCode, 201);
    assert.deepEqual(breachLogs(t), []);
  });

  test('the policy still answers first: a short password gets its own reason', async () => {
    const response = await register(t.app, 'short@example.com', 'short');
    assert.equal(response.json().detail, 'Password should be at least 15 characters');
  });

  test('reset to a breached password is 400 RESET_PASSWORD_INVALID_PASSWORD, and the link stays usable', async () => {
    await userWithToken(t.app, 'reset@example.com');
    const token = await resetToken(t.app, 'reset@example.com');
    const refused = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password: BREACHED } });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { detail: BREACHED_REASON, code: 'RESET_PASSWORD_INVALID_PASSWORD' });
    const done = await t.app.inject({ method: 'POST', url: '/reset-password', payload: { token, password: FRESH } });
    assert.equal(done.statusCode, 200);
  });

  test('PATCH /users/me to a breached password is 400 UPDATE_USER_INVALID_PASSWORD and changes nothing', async () => {
    const bearer = await userWithToken(t.app, 'change@example.com');
    const refused = await t.app.inject({
      method: 'PATCH',
      url: '/users/me',
      headers: auth(bearer),
      payload: { password: ALSO_BREACHED, current_password: PASSWORD },
    });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { detail: BREACHED_REASON, code: 'UPDATE_USER_INVALID_PASSWORD' });
    assert.ok(await bearerToken(t.app, 'change@example.com', PASSWORD), 'the old password still works');
  });

  test('PATCH /users/{id} (a superuser setting a password) to a breached password is 400 UPDATE_USER_INVALID_PASSWORD too', async () => {
    const admin = await userWithToken(t.app, 'admin@example.com');
    const store = internalsOf(t.app).auth.store;
    await store.updateUser((await store.findUserByEmail('admin@example.com'))!.id, { isSuperuser: true }, new Date());
    await register(t.app, 'managed@example.com');
    const managed = (await store.findUserByEmail('managed@example.com'))!;
    const refused = await t.app.inject({ method: 'PATCH', url: `/users/${managed.id}`, headers: auth(admin), payload: { password: BREACHED } });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { detail: BREACHED_REASON, code: 'UPDATE_USER_INVALID_PASSWORD' });
    assert.equal((await store.findUserById(managed.id))!.hashedPassword, managed.hashedPassword, 'nothing changed');
    const accepted = await t.app.inject({ method: 'PATCH', url: `/users/${managed.id}`, headers: auth(admin), payload: { password: FRESH } });
    assert.equal(accepted.statusCode, 200);
  });

  test('a missing prefix file: the password passes and the incomplete folder is logged once', async () => {
    unlinkSync(join(dir.path, `${rangeKeyOf(FRESH).prefix}.txt`));
    assert.equal((await register(t.app, 'gap1@example.com', FRESH)).statusCode, 201);
    assert.equal((await register(t.app, 'gap2@example.com', FRESH)).statusCode, 201);
    const logged = breachLogs(t);
    assert.equal(logged.length, 1, JSON.stringify(logged));
    assert.equal(logged[0]!.level, 50);
    assert.match(logged[0]!.msg, /incomplete/);
    assert.ok(!logged[0]!.msg.includes(rangeKeyOf(FRESH).prefix), 'no part of the hash in the log');
  });

  test('a folder that is not one is refused when the plugin starts, naming the option', async () => {
    await assert.rejects(loggedApp({ breachedPasswords: { rangeFolder: join(dir.path, 'nope') } }), /breachedPasswords: rangeFolder .* is not a folder/);
  });
});

describe('breached passwords from the range API (k-anonymity, fail open)', () => {
  let api: RangeAPIStandIn;
  let t: LoggedApp;
  before(async () => {
    api = await startRangeAPIStandIn({ [BREACHED]: 10, [PADDING_ONLY]: 0 });
    t = await loggedApp({ breachedPasswords: { api: api.url, timeoutMs: 300 } });
  });
  after(async () => {
    await t.close();
    await api.close();
  });

  test('a listed password is refused; only the 5-character prefix is sent, with Add-Padding: true', async () => {
    api.requests.length = 0;
    const response = await register(t.app, 'api@example.com', BREACHED);
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { detail: BREACHED_REASON, code: 'REGISTER_INVALID_PASSWORD' });
    const { prefix, suffix } = rangeKeyOf(BREACHED);
    assert.equal(api.requests.length, 1);
    const [request] = api.requests;
    assert.equal(request!.method, 'GET');
    assert.equal(request!.url, `/range/${prefix}`);
    assert.equal(request!.headers['add-padding'], 'true');
    assert.equal(request!.body, '');
    const sent = JSON.stringify(request).toUpperCase();
    assert.ok(!sent.includes(suffix.slice(0, 8)) && !sent.includes(BREACHED.toUpperCase()), 'nothing but the prefix of the hash leaves');
  });

  test('a suffix present only as a padding line (count 0) is not a match', async () => {
    assert.equal((await register(t.app, 'pad@example.com', PADDING_ONLY)).statusCode, 201);
    assert.equal((await register(t.app, 'fresh@example.com', FRESH)).statusCode, 201);
    assert.deepEqual(breachLogs(t), []);
  });

  test('a slow API: after the timeout the password passes (fail open) with a warning', async () => {
    api.delayMs = 3000;
    try {
      const started = Date.now();
      const response = await register(t.app, 'slow@example.com', BREACHED);
      assert.equal(response.statusCode, 201);
      assert.ok(Date.now() - started < 2500, `answered after ${Date.now() - started} ms`);
    } finally {
      api.delayMs = 0;
    }
    const logged = breachLogs(t);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.level, 40);
    assert.match(JSON.stringify(logged[0]), /no answer within 300 ms/);
  });
});

describe('an unreachable range API', () => {
  test('registration still works (201) and a warning is logged; never a 500', async () => {
    const port = await freePort();
    const t = await loggedApp({ breachedPasswords: { api: `http://127.0.0.1:${port}` } });
    try {
      const response = await register(t.app, 'offline@example.com', BREACHED);
      assert.equal(response.statusCode, 201);
      const logged = breachLogs(t);
      assert.equal(logged.length, 1);
      assert.equal(logged[0]!.level, 40);
      assert.match(logged[0]!.msg, /fail open/);
      assert.ok(!JSON.stringify(logged).includes(rangeKeyOf(BREACHED).prefix), 'no part of the hash in the log');
    } finally {
      await t.close();
    }
  });
});
