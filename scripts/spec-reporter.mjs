// Node's spec reporter, given events whose file names are the .ts files rather than their compiled
// copies (scripts/compile-tests.mjs): a file that fails or crashes is named as people know it.
import { spec } from 'node:test/reporters';
import { sourceNames } from './compile-tests.mjs';

/** The error and the causes it wraps (node:test reports a test's error as the cause of its own). */
function renameError(error, depth = 0) {
  if (!error || typeof error !== 'object' || depth > 5) return;
  for (const key of ['message', 'stack']) {
    const text = sourceNames(error[key]);
    if (text !== error[key]) Object.defineProperty(error, key, { value: text, writable: true, configurable: true });
  }
  renameError(error.cause, depth + 1);
}

function renamed(data) {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...data };
  for (const key of ['name', 'file', 'message']) copy[key] = sourceNames(copy[key]);
  renameError(data.details?.error);
  return copy;
}

export default async function* sourceNamedSpec(source) {
  const reporter = new spec();
  const feeding = (async () => {
    for await (const event of source) reporter.write({ ...event, data: renamed(event.data) });
    reporter.end();
  })();
  for await (const chunk of reporter) yield chunk;
  await feeding;
}
