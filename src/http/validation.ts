import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

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
// because the stored form is trimmed (SPEC §3).
const EMAIL = /^[^\s@\p{Cc}]{1,64}@(?=.{1,255}$)[^\s@\p{Cc}.]+(\.[^\s@\p{Cc}.]+)+$/u;

function isEmail(value: string): boolean {
  return EMAIL.test(value.trim());
}

const strict = makeAjv(false);
const coercing = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : coercing;
  return ajv.compile(schema as object) as ValidateFunction;
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
