/**
 * What the logs must never hold (OWASP Logging Cheat Sheet; ASVS 5.0 V16.2.5), and how it is kept
 * out cheaply.
 *
 * Headers that carry credentials are pino redaction paths (fixed paths: cheap). The fields that
 * carry a secret in a body or any other logged object — `{ body: { password } }` — are masked one
 * level down by {@link maskSecretFields}, which pino runs on every line (`formatters.log`).
 * pino's own wildcard paths (`*.password`) did the same at ~1.3 µs per path and line, ~11 µs a
 * line for our eight fields — the largest part of a request line's cost (docs/BENCHMARKS.md,
 * "The deployment setup"); this walk costs well under a microsecond.
 */

/** Header paths pino redacts. Request lines carry no headers (the request serializer), so these guard other logs of a request. */
export const REDACTED_HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrftoken"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Field names whose value is masked in any object logged one level down (`{ body: { password } }`). */
export const REDACTED_FIELDS: readonly string[] = [
  'password',
  'current_password',
  'access_token',
  'token',
  'refresh_token',
  'client_secret',
  'hashed_password',
  'hashedPassword',
];

const CENSOR = '[redacted]';

/**
 * The logged object with {@link REDACTED_FIELDS} masked in each of its object-valued members — a
 * copy when anything was masked, the object itself otherwise. The caller's objects are never
 * changed. As pino's `*.field` paths: one level down, own fields, arrays included.
 */
export function maskSecretFields(object: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === null || typeof value !== 'object') continue;
    let masked: Record<string, unknown> | undefined;
    for (const field of REDACTED_FIELDS) {
      if (Object.hasOwn(value, field)) {
        masked ??= (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
        masked[field] = CENSOR;
      }
    }
    if (masked !== undefined) {
      copy ??= { ...object };
      copy[key] = masked;
    }
  }
  return copy ?? object;
}

/** The pino options that apply both: spread into a pino (or Fastify `logger`) configuration. */
export const LOG_REDACTION = {
  redact: { paths: REDACTED_HEADER_PATHS, censor: CENSOR },
  formatters: { log: maskSecretFields },
};
