#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (Node 20 has no glob in --test).
// Extra arguments are passed through, e.g. `npm test -- --test-name-pattern=csrf`.
//
// Files run TEST_CONCURRENCY at a time (default 4; node's own default is one fewer than the CPUs,
// i.e. 1 on a 2-core machine): most files wait on PostgreSQL, a child process or a browser rather
// than on the CPU, and every file works on its own temp folder, database, Redis prefix and port 0,
// so they can overlap (docs/testing.md). The slowest files start first, by the durations the last
// run recorded, or for a checkout without a record of its own (a fresh clone, CI) the committed
// baseline's (scripts/test-durations.json, `npm run test:durations`), so no long file starts last
// and runs alone; they are listed at the end, on stderr.
//
// The TypeScript is compiled once for the whole run (scripts/compile-tests.mjs) and each file runs
// as plain JavaScript in its own process, as before: tsx's module hooks cost each process about a
// second of CPU (docs/testing.md, "How a test file starts"). TEST_TSX=1 runs the .ts files through
// tsx instead, as the suite did before.
//
// When a browser file is in the run, one Chromium is launched here for all of them (they connect
// to it, each test in browser contexts of its own; test/support/browser.ts): a file run on its
// own launches its own, and so does every file with TEST_SHARED_CHROMIUM=0.
//
// Small in-process files run several to a process ("batches", scripts/test-batches.mjs), so the
// packages they load are loaded once per batch rather than once per file; TEST_BATCH=0 runs every
// file in a process of its own.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledPath, compileRepository, removeBuild } from './compile-tests.mjs';
import { planBatches, writeBatches } from './test-batches.mjs';
import { BASELINE_DURATIONS_FILE, DURATIONS_FILE } from './test-file-durations.mjs';

function collect(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return collect(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

function readDurations(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
}
// Milliseconds each file took: this checkout's last run (scripts/test-file-durations.mjs writes
// them) over the committed baseline (BASELINE_DURATIONS_FILE), so a fresh clone or CI, which
// have no record of their own, plan the batches and the order as well as a second run does.
const recorded = { ...readDurations(BASELINE_DURATIONS_FILE), ...readDurations(DURATIONS_FILE) };
// A file in neither (a new one) is expected long if it is in a folder of long files: the
// end-to-end files, the session cache's property and the benchmark's smoke run.
const LONG = [join('test', 'e2e'), join('test', 'sessions', 'interleavings'), join('test', 'bench')];
const expected = (file) => recorded[file] ?? (LONG.some((prefix) => file.startsWith(prefix)) ? 1e9 : 0);
files.sort((a, b) => expected(b) - expected(a));
const concurrency = flags.some((f) => f.startsWith('--test-concurrency')) ? [] : [`--test-concurrency=${process.env.TEST_CONCURRENCY ?? 4}`];
// A reporter given on the command line replaces both of ours (and names the compiled copies).
const reporters = flags.some((f) => f.startsWith('--test-reporter'))
  ? []
  : [
      '--test-reporter=./scripts/spec-reporter.mjs',
      '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/test-file-durations.mjs',
      '--test-reporter-destination=stderr',
    ];
const env = { TEST_DURATIONS_FILE: DURATIONS_FILE, ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'test' };

if (process.env.TEST_TSX === '1') {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...reporters, ...concurrency, ...flags, ...files], { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}

const build = await compileRepository();
const plan =
  process.env.TEST_BATCH === '0'
    ? { batches: [], alone: files }
    : planBatches(files, { read: (file) => readFileSync(file, 'utf8'), expected: (file) => recorded[file] });
const batchPaths = writeBatches(build, plan.batches, (file) => compiledPath(build, file));
// A file never recorded counts as 2 s in its batch's total, so batches start before new small files.
const runs = [
  ...plan.alone.map((file) => ({ path: compiledPath(build, file), ms: expected(file) })),
  ...plan.batches.map((batch, index) => ({ path: batchPaths[index], ms: batch.reduce((sum, file) => sum + (recorded[file] ?? 2000), 0) })),
].sort((a, b) => b.ms - a.ms);
// Ctrl-C reaches the test runner too; this process outlives it long enough to remove the build.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
const browser = await sharedChromium();
const status = await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--test', ...reporters, ...concurrency, ...flags, ...runs.map((run) => run.path)],
    // The e2e files start `fastify-users serve` from the same build (test/support/processes.ts).
    { stdio: 'inherit', env: { ...env, TEST_COMPILED_DIR: build, ...browser?.env } },
  );
  child.on('exit', (code) => resolve(code ?? 1));
  child.on('error', () => resolve(1));
});
await browser?.close().catch(() => {});
removeBuild(build);
process.exit(status);

/**
 * One Chromium for every browser file of the run (test/support/browser.ts, launchChromium): a
 * browser started per file cost each of them a second or more. Only when a browser file is in the
 * run and the Chromium the files would use is there; if it cannot start, each file launches its
 * own as when run alone (and fails there, naming the reason). This process must not block while
 * the files run: it serves the browser's WebSocket endpoint (hence spawn, not spawnSync).
 */
async function sharedChromium() {
  if (process.env.TEST_SHARED_CHROMIUM === '0' || !files.some((file) => file.startsWith(join('test', 'e2e', 'browser')))) return undefined;
  // The same Chromium the files would pick (test/support/services.ts).
  const { chromiumPath } = await import(pathToFileURL(compiledPath(build, join('test', 'support', 'services.ts'))).href);
  const path = chromiumPath();
  if (!path) return undefined;
  try {
    const { launchSharedChromium, SHARED_CHROMIUM_ENV } = await import(pathToFileURL(compiledPath(build, join('test', 'support', 'browser.ts'))).href);
    const server = await launchSharedChromium(path);
    return { env: { [SHARED_CHROMIUM_ENV]: server.wsEndpoint() }, close: () => server.close() };
  } catch (error) {
    console.error(`could not launch one Chromium for the run (each browser file launches its own): ${error.message}`);
    return undefined;
  }
}
