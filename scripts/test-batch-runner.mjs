// Runs several test files in this one process, each inside a `describe` named after its .ts file
// (scripts/test-batches.mjs writes the modules that call it).
//
// node:test puts a `test()` under the test or suite whose async context the call runs in. So each
// file is imported from inside its own describe's callback, and only once the file before it has
// finished (its tests and its hooks, passed or failed: a describe at the top level returns a
// promise of its end): two files loading at once would share the module loader's pending work,
// and the second file's tests could land under the first. Each describe is registered through an
// async resource made here, outside every test, so it belongs to the root and not to the file that
// just ended.
import { AsyncResource } from 'node:async_hooks';
import { describe } from 'node:test';

const outside = new AsyncResource('test-batch');

/** `files`: [name shown and recorded (the .ts path), URL of the compiled module], in run order. */
export function runFiles(files) {
  const next = (index) => {
    if (index >= files.length) return;
    const [name, url] = files[index];
    const ended = outside.runInAsyncScope(() => describe(name, () => import(url)));
    const go = () => next(index + 1);
    Promise.resolve(ended).then(go, go);
  };
  next(0);
}
