import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PASSWORD } from './constants.js';
import { auth } from './requests.js';

/**
 * RFC 6238 written out here, independently of the code under test (RFC 4226 §5.3's dynamic
 * truncation over HMAC-SHA-1 of the 8-byte big-endian step), so the tests check the server's
 * codes against the standard rather than against themselves.
 */
export function totpAt(base32Secret: string, time: Date, offsetSteps = 0): string {
  const step = Math.floor(time.getTime() / 1000 / 30) + offsetSteps;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(base32Secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** RFC 4648 base32 (no padding) to bytes. */
export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.replace(/=+$/, '')) {
    const index = alphabet.indexOf(char.toUpperCase());
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** Enables TOTP for the bearer of `token` through the routes; returns the secret and the recovery codes. */
export async function enableTOTP(app: FastifyInstance, token: string, now: () => Date): Promise<{ secret: string; recoveryCodes: string[] }> {
  const begin = await app.inject({ method: 'POST', url: '/users/me/totp', headers: auth(token), payload: { current_password: PASSWORD } });
  assert.equal(begin.statusCode, 200, begin.body);
  const { secret } = begin.json() as { secret: string };
  const confirm = await app.inject({ method: 'POST', url: '/users/me/totp/confirm', headers: auth(token), payload: { code: totpAt(secret, now()) } });
  assert.equal(confirm.statusCode, 200, confirm.body);
  return { secret, recoveryCodes: confirm.json().recovery_codes };
}
