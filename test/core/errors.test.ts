import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AuthError, ERRORS, type ErrorCode } from '../../src/core/errors.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('error registry', () => {
  test('every code is UPPER_SNAKE and unique', () => {
    for (const code of codes) assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, code);
    assert.equal(new Set(codes).size, codes.length);
  });

  test('every status is 4xx or 5xx and every message a non-empty sentence', () => {
    for (const code of codes) {
      const { status, message } = ERRORS[code];
      assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
      assert.ok(message.length > 0, code);
    }
  });

  test('every code is documented in the "Error codes" table of docs/api.md with its status', () => {
    const readme = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = readme.split(/^## Error codes$/m)[1];
    assert.ok(section, 'docs/api.md has an "## Error codes" section');
    for (const code of codes) {
      assert.match(section, new RegExp(`^\\| \`${code}\` \\| ${ERRORS[code].status} \\|`, 'm'), `${code} missing from the docs/api.md table`);
    }
  });

  test('AuthError carries code, status and detail (default message or the given detail)', () => {
    const plain = new AuthError('LOGIN_BAD_CREDENTIALS');
    assert.equal(plain.statusCode, 401);
    assert.equal(plain.detail, 'Incorrect email or password');
    const detailed = new AuthError('REGISTER_INVALID_PASSWORD', 'Password is too common');
    assert.equal(detailed.detail, 'Password is too common');
    assert.equal(detailed.message, 'Password is too common');
    const listed = new AuthError('VALIDATION_ERROR', [{ loc: ['body'], msg: 'x', type: 'missing' }]);
    assert.deepEqual(listed.detail, [{ loc: ['body'], msg: 'x', type: 'missing' }]);
    assert.equal(new AuthError('TOO_MANY_REQUESTS', undefined, { retryAfter: 30 }).retryAfter, 30);
  });
});
