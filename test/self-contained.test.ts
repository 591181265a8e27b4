import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/** Source and documentation files under `dir` (no dependencies, no build output). */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : files(path);
    return /\.(ts|mjs|js|md|html|sh)$/.test(name) ? [path] : [];
  });
}

test('the repository cites its own docs or the standards, never a spec or issue outside it', () => {
  const all = ['src', 'test', 'bench', 'scripts', 'web', 'docs', 'examples'].flatMap(files).concat('README.md');
  // Built from parts so this file does not match itself.
  const outside = new RegExp(['SPEC', ' §'].join('') + '|' + ['\\bissue', ' #?\\d'].join(''), 'i');
  assert.deepEqual(
    all.filter((file) => outside.test(readFileSync(file, 'utf8'))),
    [],
  );
});
