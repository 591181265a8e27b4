import { encodeBase32NoPadding } from '@oslojs/encoding';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../core/token.js';

/** RFC 6238's defaults, which every authenticator app supports: HMAC-SHA-1, 30-second steps, 6 digits. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** 160 bits, the length RFC 4226 §4 recommends for an HMAC-SHA-1 key. */
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted either side of now, for clock drift (RFC 6238 §5.2 recommends at most one). */
export const TOTP_DRIFT_STEPS = 1;

/** A fresh TOTP secret from the OS CSPRNG. */
export function generateTOTPSecret(): Uint8Array {
  return new Uint8Array(randomBytes(TOTP_SECRET_BYTES));
}

/** The secret as authenticator apps take it: RFC 4648 base32 without padding. */
export function encodeTOTPSecret(secret: Uint8Array): string {
  return encodeBase32NoPadding(secret);
}

/** The time step `now` falls in (RFC 6238 §4.2: T = floor(unix time / X)). */
export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of one step. */
export function totpCode(secret: Uint8Array, step: number): string {
  return generateHOTP(secret, BigInt(step), TOTP_DIGITS);
}

/**
 * The step whose code `code` is, among now and {@link TOTP_DRIFT_STEPS} either side; `null` when
 * none. Every candidate is computed and compared in constant time, so the work does not tell which
 * one (if any) matched. The caller still has to spend the step once (no replay, RFC 6238 §5.2).
 */
export function matchTOTPStep(secret: Uint8Array, code: string, now: Date): number | null {
  const current = totpStep(now);
  let matched: number | null = null;
  for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step++) {
    // The latest matching step wins, so a code cannot be spent twice as two different steps.
    if (constantTimeEqual(totpCode(secret, step), code)) matched = step;
  }
  return matched;
}

/** The `otpauth://totp/…` URI an authenticator app reads (Google Authenticator's Key Uri Format). */
export function totpURI(issuer: string, accountName: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, accountName, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}
