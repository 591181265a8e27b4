import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APIError } from '../../web/api.js';
import { needsReauthentication, ReauthenticationCancelled, withReauthentication } from '../../web/reauthentication.js';

const REQUIRED = new APIError(403, 'Confirm your identity first (POST /users/me/reauthenticate)', 'REAUTHENTICATION_REQUIRED');

/** An action answering each of `outcomes` in turn (an Error is thrown), counting its calls. */
function scripted(outcomes: unknown[]): { action: () => Promise<unknown>; calls: () => number } {
  let calls = 0;
  return {
    action: async () => {
      const outcome = outcomes[calls++];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    calls: () => calls,
  };
}

describe('web page: retrying an action after re-authentication', () => {
  test('only the 403 REAUTHENTICATION_REQUIRED asks for it; CSRF 403s and other errors do not', () => {
    assert.equal(needsReauthentication(REQUIRED), true);
    assert.equal(needsReauthentication(new APIError(403, 'CSRF token missing', 'CSRF_FAILED')), false);
    assert.equal(needsReauthentication(new APIError(401, 'Wrong password', 'INVALID_CURRENT_PASSWORD')), false);
    assert.equal(needsReauthentication(new Error('REAUTHENTICATION_REQUIRED')), false);
  });

  test('a recent session: the action runs once, no prompt', async () => {
    const { action, calls } = scripted(['done']);
    let prompts = 0;
    assert.equal(
      await withReauthentication(action, async () => {
        prompts += 1;
      }),
      'done',
    );
    assert.deepEqual({ calls: calls(), prompts }, { calls: 1, prompts: 0 });
  });

  test('REAUTHENTICATION_REQUIRED: the prompt, then the action again, whose result is returned', async () => {
    const { action, calls } = scripted([REQUIRED, 'added']);
    const order: string[] = [];
    const result = await withReauthentication(
      async () => {
        order.push('action');
        return action();
      },
      async () => {
        order.push('prompt');
      },
    );
    assert.equal(result, 'added');
    assert.deepEqual(order, ['action', 'prompt', 'action']);
    assert.equal(calls(), 2);
  });

  test('retried once only: a second REAUTHENTICATION_REQUIRED is shown, not prompted again', async () => {
    const { action, calls } = scripted([REQUIRED, REQUIRED, 'never']);
    let prompts = 0;
    await assert.rejects(
      withReauthentication(action, async () => {
        prompts += 1;
      }),
      REQUIRED,
    );
    assert.deepEqual({ calls: calls(), prompts }, { calls: 2, prompts: 1 });
  });

  test('a cancelled prompt: its error, and the action is not tried again', async () => {
    const { action, calls } = scripted([REQUIRED, 'never']);
    await assert.rejects(
      withReauthentication(action, async () => {
        throw new ReauthenticationCancelled();
      }),
      ReauthenticationCancelled,
    );
    assert.equal(calls(), 1);
  });

  test('another error passes through without a prompt', async () => {
    const failure = new APIError(429, 'Too many requests', 'RATE_LIMITED');
    const { action, calls } = scripted([failure]);
    let prompts = 0;
    await assert.rejects(
      withReauthentication(action, async () => {
        prompts += 1;
      }),
      failure,
    );
    assert.deepEqual({ calls: calls(), prompts }, { calls: 1, prompts: 0 });
  });
});
