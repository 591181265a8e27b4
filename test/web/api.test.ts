import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeDetail } from '../../web/api.js';

describe('web page: error messages from the API', () => {
  test('a string detail is shown as is', () => {
    assert.equal(describeDetail('Incorrect email or password'), 'Incorrect email or password');
  });

  test("FastAPI's 422 list becomes one 'field: message' line per problem, without the 'body' prefix", () => {
    const detail = [
      { loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' },
      { loc: ['body'], msg: 'Field required', type: 'missing' },
    ];
    assert.equal(describeDetail(detail), 'email: value is not a valid email address\nField required');
  });

  test('anything else is a generic sentence, never "[object Object]"', () => {
    assert.equal(describeDetail({ weird: true }), 'Unexpected error');
    assert.equal(describeDetail(undefined), 'Unexpected error');
  });
});
