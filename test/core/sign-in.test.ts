import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent, AuditLog } from '../../src/core/audit.js';
import { AuthService } from '../../src/core/auth-service.js';
import { AuthError } from '../../src/core/errors.js';
import { resolveAuthOptions } from '../../src/core/options.js';
import type { SecondFactor, SecondFactorVerdict } from '../../src/core/second-factor.js';
import { SignInPipeline, type SignInAttempt } from '../../src/core/sign-in.js';
import { resolveThrottleOptions, Throttle, type ThrottleKey } from '../../src/core/throttle.js';
import { digestToken } from '../../src/core/token.js';
import type { User } from '../../src/core/user.js';
import { MemoryCounterStore } from '../../src/store/memory-counters.js';
import { FAST_ARGON2, PASSWORD, TEST_SECRET } from '../support/constants.js';
import { sqliteStore, type TestStore } from '../support/databases.js';

/** A second factor whose verdict the test sets, recording what it was asked. */
function scriptedSecondFactor(): SecondFactor & { verdict: SecondFactorVerdict; asked: (string | undefined)[] } {
  const factor = {
    verdict: 'none' as SecondFactorVerdict,
    asked: [] as (string | undefined)[],
    async checkSignIn(_user: User, otp: string | undefined) {
      factor.asked.push(otp);
      return factor.verdict;
    },
    isEnabled: async () => factor.verdict !== 'none',
    verifyCode: async () => false,
  };
  return factor;
}

describe('the sign-in pipeline (core/sign-in.ts)', () => {
  let t: TestStore;
  let auth: AuthService;
  let user: User;
  before(async () => {
    t = await sqliteStore();
    auth = new AuthService(
      t.store,
      resolveAuthOptions({ secretKey: TEST_SECRET, argon2: FAST_ARGON2, unsafeArgon2ForTests: true }, () => ''),
    );
    user = await auth.register('pipeline@example.com', PASSWORD);
  });
  after(async () => t.cleanup());

  function setup() {
    const counters = new MemoryCounterStore();
    const throttle = new Throttle(counters, resolveThrottleOptions({ identifierLimit: 3, identifierAddressLimit: 3 }));
    const secondFactor = scriptedSecondFactor();
    return { counters, throttle, secondFactor, pipeline: new SignInPipeline(auth, throttle, secondFactor) };
  }

  const keyOf = (name: string, clearOnSuccess: boolean): ThrottleKey => ({ key: name, limit: 2, windowSeconds: 60, clearOnSuccess });

  test('the keys are charged before the proof runs: over the limit the proof is never called (429)', async () => {
    const { pipeline } = setup();
    let proofs = 0;
    const attempt: SignInAttempt = {
      method: 'password',
      keys: [keyOf('k', true)],
      failure: 'LOGIN_BAD_CREDENTIALS',
      prove: async () => {
        proofs += 1;
        return null;
      },
    };
    for (let i = 0; i < 2; i++) await assert.rejects(pipeline.signIn(attempt, {}), (e) => e instanceof AuthError && e.code === 'LOGIN_BAD_CREDENTIALS');
    await assert.rejects(pipeline.signIn(attempt, {}), (e) => e instanceof AuthError && e.code === 'TOO_MANY_REQUESTS');
    assert.equal(proofs, 2);
  });

  test('a session clears the clearOnSuccess keys, refunds the others — the keys the proof charged itself included — and records amr', async () => {
    const { pipeline, counters } = setup();
    await counters.increment('cleared', 60);
    const result = await pipeline.signIn(
      {
        method: 'provider',
        keys: [keyOf('cleared', true), keyOf('refunded', false)],
        failure: 'LOGIN_BAD_CREDENTIALS',
        prove: async (chargeMore) => {
          await chargeMore([keyOf('revealed', true)]);
          return { user, amr: ['fed'], secondFactor: { otp: undefined } };
        },
      },
      { ip: '192.0.2.1' },
    );
    assert.equal(result.kind, 'session');
    assert.deepEqual(result.kind === 'session' ? result.amr : null, ['fed']);
    assert.deepEqual([(await counters.get('cleared')).count, (await counters.get('refunded')).count, (await counters.get('revealed')).count], [0, 0, 0]);
    const stored = await t.store.findSession(result.kind === 'session' ? digestToken(result.issued.token) : '', new Date());
    assert.deepEqual(stored?.token.amr, ['fed']);
  });

  test('second factor still due: every key gets its charge back and none is cleared; a good code adds otp to amr', async () => {
    const { pipeline, counters, secondFactor } = setup();
    await counters.increment('failures-so-far', 60);
    secondFactor.verdict = 'required';
    const attempt = pipeline.passwordAttempt('pipeline@example.com', PASSWORD, undefined, { ip: '192.0.2.2' });
    const due = await pipeline.signIn({ ...attempt, keys: [...attempt.keys, keyOf('failures-so-far', true)] }, {});
    assert.equal(due.kind, 'second-factor-required');
    assert.equal((await counters.get('failures-so-far')).count, 1, 'refunded its own charge, cleared nothing');
    secondFactor.verdict = 'ok';
    const done = await pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', PASSWORD, '123456', { ip: '192.0.2.2' }), {});
    assert.deepEqual(done.kind === 'session' ? done.amr : null, ['pwd', 'otp']);
    assert.deepEqual(secondFactor.asked, [undefined, '123456']);
  });

  test('a bad code, or a pending sign-in finishing without a second factor, is LOGIN_BAD_OTP and keeps its charge', async () => {
    const { pipeline, counters, secondFactor } = setup();
    secondFactor.verdict = 'bad';
    await assert.rejects(
      pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', PASSWORD, '000000', { ip: '192.0.2.3' }), {}),
      (e) => e instanceof AuthError && e.code === 'LOGIN_BAD_OTP',
    );
    secondFactor.verdict = 'none';
    let claimed = false;
    const pending = pipeline.pendingAttempt(user, ['pwd'], '123456', { ip: '192.0.2.3' }, async () => {
      claimed = true;
    });
    await assert.rejects(pipeline.signIn(pending, {}), (e) => e instanceof AuthError && e.code === 'LOGIN_BAD_OTP');
    assert.equal(claimed, false, 'a failed proof spends no single-use claim');
    const charged = await Promise.all(pending.keys.map((k) => counters.get(k.key)));
    assert.ok(
      charged.every((c) => c.count === 2),
      JSON.stringify(charged),
    );
  });

  test('a claim that fails stops the sign-in before any session opens', async () => {
    const { pipeline, secondFactor } = setup();
    secondFactor.verdict = 'ok';
    const before = (await t.store.listUserTokens(user.id, new Date())).length;
    const pending = pipeline.pendingAttempt(user, ['pwd'], '123456', { ip: '192.0.2.4' }, async () => {
      throw new AuthError('LOGIN_OTP_NOT_PENDING');
    });
    await assert.rejects(pipeline.signIn(pending, {}), (e) => e instanceof AuthError && e.code === 'LOGIN_OTP_NOT_PENDING');
    assert.equal((await t.store.listUserTokens(user.id, new Date())).length, before);
  });

  test('the audit log gets every opened session and every refused proof, once, and nothing for a throttled attempt', async () => {
    const events: AuditEvent[] = [];
    const audit: AuditLog = { record: async (event) => void events.push(event) };
    const counters = new MemoryCounterStore();
    const throttle = new Throttle(counters, resolveThrottleOptions({ identifierLimit: 2, identifierAddressLimit: 2 }));
    const pipeline = new SignInPipeline(auth, throttle, scriptedSecondFactor(), audit);
    const from = { ip: '192.0.2.9', userAgent: 'test-agent' };
    await pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', PASSWORD, undefined, from), from);
    await assert.rejects(pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', 'wrong password!!', undefined, from), from));
    await assert.rejects(pipeline.signIn(pipeline.passwordAttempt('nobody@example.com', 'wrong password!!', undefined, from), from));
    await assert.rejects(pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', 'wrong password!!', undefined, from), from));
    await assert.rejects(
      pipeline.signIn(pipeline.passwordAttempt('pipeline@example.com', 'wrong password!!', undefined, from), from),
      (e) => e instanceof AuthError && e.code === 'TOO_MANY_REQUESTS',
    );
    assert.deepEqual(
      events.map((e) => [e.type, e.subjectUserId, e.actorUserId, e.detail]),
      [
        ['sign_in.succeeded', user.id, user.id, { method: 'password', amr: ['pwd'] }],
        ['sign_in.failed', user.id, null, { method: 'password', reason: 'LOGIN_BAD_CREDENTIALS' }],
        ['sign_in.failed', null, null, { method: 'password', reason: 'LOGIN_BAD_CREDENTIALS' }],
        ['sign_in.failed', user.id, null, { method: 'password', reason: 'LOGIN_BAD_CREDENTIALS' }],
      ],
    );
    assert.equal(events[0]!.ip, '192.0.2.9');
    assert.equal(events[0]!.userAgent, 'test-agent');
    assert.ok(!JSON.stringify(events).includes('wrong password!!') && !JSON.stringify(events).includes(PASSWORD), 'no password in any event');
  });
});
