import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRORS } from '../../src/core/errors.js';
import { oauthErrorCode, oauthErrorMessage, providerLabel } from '../../web/oauth-errors.js';

test('#oauth_error=<CODE> is read; anything else is not', () => {
  assert.equal(oauthErrorCode('#oauth_error=OAUTH_STATE_INVALID'), 'OAUTH_STATE_INVALID');
  for (const hash of ['', '#/verify?token=x', '#oauth_error=<script>', '#oauth_error=OAUTH_STATE_INVALID&x=1', '#oauth_error='])
    assert.equal(oauthErrorCode(hash), null, hash);
});

test('every code a provider sign-in can end with has its own message; unknown codes a general one', () => {
  // OAUTH_* codes of signing in with another provider; not those of linked-account management or
  // of our own provider's admin and "Connected apps" routes, which no sign-in ends with.
  const notSignIn = new Set(['OAUTH_ACCOUNT_NOT_FOUND', 'OAUTH_LAST_CREDENTIAL', 'OAUTH_CLIENT_NOT_FOUND', 'OAUTH_CLIENT_INVALID', 'OAUTH_GRANT_NOT_FOUND']);
  const codes = (Object.keys(ERRORS) as (keyof typeof ERRORS)[]).filter((c) => c.startsWith('OAUTH_') && !notSignIn.has(c));
  const messages = [...codes, 'LOGIN_BAD_CREDENTIALS', 'TOO_MANY_REQUESTS'].map(oauthErrorMessage);
  const general = oauthErrorMessage('SOMETHING_ELSE');
  assert.equal(new Set(messages).size, messages.length, 'one message per code');
  assert.ok(!messages.includes(general));
  assert.ok(!general.includes('SOMETHING_ELSE'));
});

test('provider labels', () => {
  assert.equal(providerLabel('github'), 'GitHub');
  assert.equal(providerLabel('google'), 'Google');
  assert.equal(providerLabel('corp-sso'), 'Corp Sso');
});
