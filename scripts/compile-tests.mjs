// Compiles the repository's TypeScript once per test run, so each test file's process loads plain
// JavaScript instead of going through tsx's module hooks (docs/testing.md, "How a test file starts").
//
// Every .ts file under src/, test/, examples/, bench/, web/ and scripts/ is type-stripped by
// esbuild, one output file per source file at the same relative path under a folder of the run's
// own, with a package.json that makes them ES modules. Nothing is bundled: each process loads the
// same modules in the same order as through tsx, lazy `import()`s stay lazy, and a relative
// `./x.js` import finds the compiled `x.ts` beside it. `import.meta.url` (and `dirname`,
// `filename`) keep naming the .ts file, so whatever a module finds through it — ROOT, the web
// page, fixtures, hooks files — is found where it was. Each output carries an inline source map
// naming the .ts file by its absolute path, so with --enable-source-maps a stack trace points at
// the .ts line.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/[\\/]$/, '');
const BUILDS = join(ROOT, 'node_modules', '.cache', 'fastify-users', 'test-builds');
const SOURCE_DIRS = ['src', 'test', 'examples', 'bench', 'web', 'scripts'];
// test/consumer is compiled by its own tsconfig against the packed package (scripts/ci-package.sh).
const SKIPPED = new Set([join('test', 'consumer'), 'node_modules']);

function sources(dir) {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (SKIPPED.has(path) || entry.name === 'node_modules') return [];
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A process id's build folder is stale once that process is gone (a run killed before cleaning up). */
function removeStaleBuilds() {
  if (!existsSync(BUILDS)) return;
  for (const name of readdirSync(BUILDS)) {
    const pid = Number(name.split('-')[1]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (error) {
      alive = error.code === 'EPERM';
    }
    if (!alive) rmSync(join(BUILDS, name), { recursive: true, force: true });
  }
}

async function compileFile(transform, path, outDir, compilerOptions) {
  const absolute = join(ROOT, path);
  const out = join(outDir, path.replace(/\.ts$/, '.js'));
  const url = pathToFileURL(absolute).href;
  let code;
  try {
    ({ code } = await transform(readFileSync(absolute, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: 'inline',
      sourcefile: absolute,
      tsconfigRaw: { compilerOptions },
      banner: `const __tsURL = ${JSON.stringify(url)}, __tsFile = ${JSON.stringify(absolute)}, __tsDir = ${JSON.stringify(dirname(absolute))};`,
      define: { 'import.meta.url': '__tsURL', 'import.meta.filename': '__tsFile', 'import.meta.dirname': '__tsDir' },
    }));
  } catch (error) {
    // A file that does not compile fails where it is imported, naming itself, as it would through tsx;
    // the other files still run.
    code = `throw new SyntaxError(${JSON.stringify(`${path} does not compile:\n${error.message}`)});\n`;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
}

/**
 * Compiles every source file into a new folder of this process's own and returns it. Always from
 * scratch: an output from an earlier run can never stand in for a changed file.
 */
export async function compileRepository() {
  removeStaleBuilds();
  const outDir = join(BUILDS, `run-${process.pid}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The options esbuild reads from tsconfig.json (class fields, import elision) are the project's own.
  const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  // Loaded here, not at the top: the reporters import this module only for sourceNames().
  const { transform } = await import('esbuild');
  await Promise.all(SOURCE_DIRS.flatMap(sources).map((path) => compileFile(transform, path, outDir, compilerOptions)));
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  return outDir;
}

export function removeBuild(outDir) {
  rmSync(outDir, { recursive: true, force: true });
}

/** The compiled file that stands for `path` (a .ts file relative to the repository). */
export function compiledPath(outDir, path) {
  return join(outDir, relative(ROOT, join(ROOT, path)).replace(/\.ts$/, '.js'));
}

/**
 * Turns every mention of a compiled file in `text` back into the .ts file it came from (relative
 * when it was relative), so reports and the recorded durations name the files people edit.
 */
export function sourceNames(text) {
  if (typeof text !== 'string' || !text.includes('test-builds')) return text;
  const builds = relative(ROOT, BUILDS).split(sep).join('/');
  const pattern = new RegExp(`(${escapeRegExp(ROOT.split(sep).join('/'))}/)?${escapeRegExp(builds)}/run-\\d+/([^\\s:'"()]+?)\\.js\\b`, 'g');
  return text.replace(pattern, (_, root = '', path) => `${root}${path}.ts`);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
