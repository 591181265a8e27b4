import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { ROOT } from '../support/constants.js';
import { tempDir } from '../support/temp.js';

/**
 * Packages a host app must not load by importing `fastify-users`: the CLI's (csv-parse), the
 * optional peers, loaded only when configured (docs/operations.md, "Installing the package"), and
 * the service's security headers (helmet), which the library leaves to the host.
 */
const NOT_ON_THE_LIBRARY_PATH = ['csv-parse', 'better-sqlite3', 'pg', 'ioredis', 'nodemailer', '@fastify/swagger', '@fastify/swagger-ui', 'helmet'];

/** The package of a resolved `node_modules` URL (`@scope/name` or `name`). */
function packageOf(url: string): string | undefined {
  const path = url.split('/node_modules/').at(-1);
  if (path === undefined || path === url) return undefined;
  const [first, second] = path.split('/');
  return first!.startsWith('@') ? `${first}/${second}` : first;
}

const dir = tempDir();
after(() => dir.cleanup());

test('importing the library loads no CLI, server-only or optional package, nor our server and CLI modules', async () => {
  const out = join(dir.path, 'resolved.txt');
  const hooks = pathToFileURL(join(ROOT, 'test', 'optional', 'record-imports-hooks.mjs')).href;
  const entry = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
  // A child process: this one has loaded the whole test support already. CommonJS packages that
  // require() each other bypass the hooks, so the require cache is listed as well.
  const script = `
    import { register, createRequire } from 'node:module';
    import { appendFileSync } from 'node:fs';
    register(${JSON.stringify(hooks)}, { data: { out: ${JSON.stringify(out)} } });
    await import(${JSON.stringify(entry)});
    const cached = Object.keys(createRequire(import.meta.url).cache);
    appendFileSync(${JSON.stringify(out)}, cached.map((path) => 'file://' + path + '\\n').join(''));`;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: ROOT });
  const urls = readFileSync(out, 'utf8')
    .split('\n')
    .filter((url) => url !== '');
  const packages = new Set(urls.map(packageOf).filter((name) => name !== undefined));
  assert.ok(packages.has('fastify-plugin') && packages.has('@fastify/cookie'), `the list is real: ${[...packages].join(', ')}`);
  assert.deepEqual(
    NOT_ON_THE_LIBRARY_PATH.filter((name) => packages.has(name)),
    [],
  );
  const ours = urls.filter((url) => url.startsWith(pathToFileURL(join(ROOT, 'src')).href));
  assert.ok(
    ours.some((url) => url.endsWith('/src/http/plugin.ts')),
    'our own modules are listed',
  );
  assert.deepEqual(
    ours.filter((url) => /\/src\/(cli|cli\.ts|server\.ts|settings\.ts)/.test(url)),
    [],
  );
});
