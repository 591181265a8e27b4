import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';

/**
 * The README is the front page a reader takes in at once; detail belongs in docs/ and is linked
 * from it (docs/operations.md, "Installing the package": the size limits). 12 KB is the budget every feature shares.
 */
const README_LIMIT_BYTES = 12 * 1024;

test('README.md stays under 12 KB: move detail to docs/ and link it', () => {
  const size = statSync(new URL('../README.md', import.meta.url)).size;
  assert.ok(size < README_LIMIT_BYTES, `README.md is ${size} bytes, the limit is ${README_LIMIT_BYTES}: move detail to docs/ and link it from the README`);
});
