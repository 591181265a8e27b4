import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'node:test';
import { fromDbTime } from '../../src/store/sql/time.js';

describe('fromDbTime (stored times back to Date)', () => {
  test('reads back every time toISOString wrote, to the millisecond', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0100-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        assert.equal(fromDbTime(date.toISOString()).getTime(), date.getTime());
      }),
      { numRuns: 2000 },
    );
  });

  test('any other text means what new Date(text) means, invalid included', () => {
    const cases = [
      '2026-02-31T10:00:00.000Z', // no 31 February: invalid, not 3 March
      '2026-13-01T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '0050-06-01T00:00:00.000Z', // a year below 100 is not 1950
      '2026-01-01 00:00:00.000Z',
      '2026-01-01T00:00:00Z',
      '+010000-01-01T00:00:00.000Z',
      '2026-0a-01T00:00:00.000Z',
      'not a date at all, 24ch',
    ];
    for (const text of cases) assert.equal(fromDbTime(text).getTime(), new Date(text).getTime(), text);
    fc.assert(
      fc.property(fc.string({ minLength: 24, maxLength: 24 }), (text) => {
        assert.equal(fromDbTime(text).getTime(), new Date(text).getTime());
      }),
    );
  });

  test('a Date (PostgreSQL) passes through', () => {
    const date = new Date();
    assert.equal(fromDbTime(date), date);
  });
});
