import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { LOG_REDACTION, maskSecretFields, REDACTED_FIELDS, REDACTED_HEADER_PATHS } from '../../src/http/log-redaction.js';

/** One line as a pino logger with these options writes it, parsed (without its time). */
function lineOf(options: pino.LoggerOptions, object: object): Record<string, unknown> {
  let line = '';
  const logger = pino({ ...options, timestamp: false, base: undefined }, { write: (text: string) => void (line = text) });
  logger.info(object, 'msg');
  return JSON.parse(line) as Record<string, unknown>;
}

describe('log redaction: secret fields masked one level down, headers by path', () => {
  test("a body with a password and a token: both masked, other fields kept, the caller's object unchanged", () => {
    const body = { email: 'a@example.com', password: 'hunter2-hunter2-hunter2', token: 'abc' };
    const logged = { body, other: 1 };
    assert.deepEqual(maskSecretFields(logged), { body: { email: 'a@example.com', password: '[redacted]', token: '[redacted]' }, other: 1 });
    assert.equal(body.password, 'hunter2-hunter2-hunter2');
    assert.equal(logged.body, body);
  });

  test('nothing to mask: the same object, no copy', () => {
    const logged = { req: { method: 'GET' }, responseTime: 1 };
    assert.equal(maskSecretFields(logged), logged);
  });

  test("top-level secrets and deeper ones are not its business (as pino's `*.field` paths)", () => {
    const logged = { password: 'top', a: { b: { password: 'deep' } } };
    assert.equal(maskSecretFields(logged), logged);
  });

  test('the authorization header is redacted by path', () => {
    const line = lineOf(LOG_REDACTION, { req: { headers: { authorization: 'Bearer secret', accept: '*/*' } } });
    assert.deepEqual(line.req, { headers: { authorization: '[redacted]', accept: '*/*' } });
  });

  test("the same lines as pino's wildcard paths for the same fields, whatever the object (property)", () => {
    const wildcard: pino.LoggerOptions = {
      redact: { paths: [...REDACTED_HEADER_PATHS, ...REDACTED_FIELDS.map((field) => `*.${field}`)], censor: '[redacted]' },
    };
    const key = fc.oneof(fc.constantFrom(...REDACTED_FIELDS, 'email', 'name', 'id'), fc.string({ maxLength: 6 }));
    const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    const inner = fc.oneof(fc.dictionary(key, leaf, { maxKeys: 5 }), fc.array(leaf, { maxLength: 3 }), leaf);
    fc.assert(
      fc.property(
        fc.dictionary(
          key.filter((k) => !['msg', 'level', 'time', 'pid', 'hostname'].includes(k)),
          inner,
          { maxKeys: 5 },
        ),
        (object) => {
          assert.deepEqual(lineOf(LOG_REDACTION, object), lineOf(wildcard, object));
        },
      ),
      { numRuns: 300 },
    );
  });
});
