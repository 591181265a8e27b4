import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler, onRequestAsyncHookHandler } from 'fastify';
import { AuthError } from '../core/errors.js';

/**
 * Ajv compilers per part of the request. Bodies are validated strictly — no type coercion, so
 * `{"password": ["a"]}` or `123` where a string belongs is a 422 rather than a silently
 * converted value (pydantic's strictness). Query strings and path params are text by nature and
 * are coerced to the declared numbers.
 */
function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: true, strict: false });
  (addFormats as unknown as (ajv: Ajv, formats: string[]) => void)(ajv, ['uri', 'date-time']);
  ajv.addFormat('email', isEmail);
  return ajv;
}

// One "@", a local part and a dotted domain, no whitespace or control characters inside
// (HTML's "valid e-mail address", relaxed to allow non-ASCII). Surrounding spaces are allowed
// because the stored form is trimmed (docs/migrating-from-fastapi.md).
const EMAIL = /^[^\s@\p{Cc}]{1,64}@(?=.{1,255}$)[^\s@\p{Cc}.]+(\.[^\s@\p{Cc}.]+)+$/u;

function isEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}

let strict: Ajv | undefined;
let coercing: Ajv | undefined;

/**
 * Each route's validator is compiled on its first request, not when the route is registered:
 * compiling every schema up front was a fifth of the server's start-up (docs/BENCHMARKS.md,
 * row 6), and a process may never see most routes. The schemas are constants of this code, so a
 * broken one is a bug the route tests catch, not a configuration error to report at start.
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  let compiled: ValidateFunction | undefined;
  const validate = (data: unknown): boolean => {
    if (compiled === undefined) {
      const ajv = httpPart === 'body' ? (strict ??= makeAjv(false)) : (coercing ??= makeAjv(true));
      compiled = ajv.compile(schema as object);
    }
    const valid = compiled(data) as boolean;
    // Fastify reads the errors off the function it was given, as Ajv leaves them on its own.
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null as ValidateFunction['errors'];
  return validate;
};

/** One problem in FastAPI's 422 format. */
export interface ValidationProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

const TYPE_NAMES: Record<string, string> = {
  required: 'missing',
  type: 'type_error',
  format: 'value_error',
  maxLength: 'string_too_long',
  minLength: 'string_too_short',
  const: 'literal_error',
  enum: 'enum',
  additionalProperties: 'extra_forbidden',
  minimum: 'greater_than_equal',
  maximum: 'less_than_equal',
  pattern: 'string_pattern_mismatch',
};

/** Turns Ajv errors into FastAPI's `detail` list: `[{loc: ["body", "email"], msg, type}]`. */
export function toValidationProblems(errors: ErrorObject[], part: string): ValidationProblem[] {
  return errors.map((error) => {
    const loc: (string | number)[] = [part];
    for (const segment of error.instancePath.split('/').slice(1)) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      loc.push(/^\d+$/.test(key) ? Number(key) : key);
    }
    let msg = error.message ?? 'Invalid value';
    if (error.keyword === 'required') {
      loc.push(String(error.params.missingProperty));
      msg = 'Field required';
    } else if (error.keyword === 'format' && error.params.format === 'email') {
      msg = 'value is not a valid email address';
    }
    return { loc, msg, type: TYPE_NAMES[error.keyword] ?? error.keyword };
  });
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';
export const JSON_MEDIA_TYPE = 'application/json';

/** Keys that could reach `Object.prototype` through a naive merge; refused wherever a body is parsed. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/**
 * Parses a JSON body. Prototype-poisoning keys at any depth are refused with 400 `FORBIDDEN_KEY`
 * (docs/security.md; OWASP Prototype Pollution Prevention CS) rather than passed on; anything that is not
 * JSON is 400 `MALFORMED_BODY`. (Fastify's own parser reports both as "invalid JSON".)
 */
export function parseJSON(body: string): unknown {
  if (body.trim() === '') throw new AuthError('MALFORMED_BODY');
  let forbidden = false;
  let value: unknown;
  try {
    value = JSON.parse(body, (key, inner: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) forbidden = true;
      return inner;
    });
  } catch {
    throw new AuthError('MALFORMED_BODY');
  }
  if (forbidden) throw new AuthError('FORBIDDEN_KEY');
  return value;
}

/**
 * Parses an `application/x-www-form-urlencoded` body (WHATWG URL "application/x-www-form-urlencoded
 * parser"). A key given twice becomes an array, which no string field accepts, so
 * `username=a&username=b` is a 422 rather than whichever value a parser happens to keep (HTTP
 * parameter pollution). Prototype keys are refused with 400 `FORBIDDEN_KEY`.
 */
export function parseForm(body: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (FORBIDDEN_KEYS.has(key)) throw new AuthError('FORBIDDEN_KEY');
    const previous = Object.hasOwn(result, key) ? result[key] : undefined;
    result[key] = previous === undefined ? value : [...[previous].flat(), value];
  }
  return result;
}

/** The media type of a request (`type/subtype`, lower-cased, parameters dropped), or undefined. */
export function mediaTypeOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'];
  if (header === undefined) return undefined;
  return header.split(';')[0]!.trim().toLowerCase();
}

/**
 * An `onRequest` hook admitting only the listed body media types: `/token` and `/login` take a
 * form (RFC 6749 §4.3.2), every other route with a body JSON (the plugin attaches it from each
 * route's schema). Anything else is 415 before a byte is parsed. A request without a
 * `Content-Type` passes and meets the schema (422: body required).
 */
export function requireMediaType(...types: string[]): onRequestAsyncHookHandler {
  const detail = `Unsupported content type: send ${types.join(' or ')}`;
  return async (request) => {
    const type = mediaTypeOf(request);
    if (type !== undefined && !types.includes(type)) throw new AuthError('UNSUPPORTED_MEDIA_TYPE', detail);
  };
}
