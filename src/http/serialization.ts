import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import fastJsonStringify from 'fast-json-stringify';

/**
 * Response serializers built on first use: fast-json-stringify (what Fastify uses by default)
 * turns each route's response schema into a function, and doing that for every route and status
 * at start took ~40 ms of a ~0.5 s start-up (docs/BENCHMARKS.md, row 6) for responses that a
 * process may never send. The output is the same as Fastify's default: only fields the schema
 * lists are written, so a hash or token never leaks through a response of a schema'd route.
 * The schemas are constants of this code; a broken one is a bug the route tests catch.
 */
export const serializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
  let serialize: ((data: unknown) => string) | undefined;
  return (data: unknown) => (serialize ??= fastJsonStringify(schema as Parameters<typeof fastJsonStringify>[0]))(data);
};
