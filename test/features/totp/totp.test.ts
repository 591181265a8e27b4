import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchTOTPStep, totpCode, totpStep } from '../../../src/features/totp/totp.js';

/** RFC 6238 Appendix B's SHA-1 seed: the ASCII string "12345678901234567890". */
const SEED = new TextEncoder().encode('12345678901234567890');

describe('TOTP (RFC 6238)', () => {
  test("matches RFC 6238 Appendix B's SHA-1 vectors (their last 6 digits)", () => {
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) {
      assert.equal(totpCode(SEED, totpStep(new Date(seconds * 1000))), code.slice(-6), `T=${seconds}`);
    }
  });

  test('matchTOTPStep accepts the step before, now and after, and names the step; nothing further', () => {
    const now = new Date(1_111_111_111_000);
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) assert.equal(matchTOTPStep(SEED, totpCode(SEED, step + offset), now), step + offset);
    for (const offset of [-2, 2]) assert.equal(matchTOTPStep(SEED, totpCode(SEED, step + offset), now), null);
    assert.equal(matchTOTPStep(SEED, '12345', now), null);
  });
});
