#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (Node 20 has no glob in --test).
// Extra arguments are passed through, e.g. `npm test -- --test-name-pattern=csrf`.
//
// Files run TEST_CONCURRENCY at a time (default 4; node's own default is one fewer than the CPUs,
// i.e. 1 on a 2-core machine): most files wait on PostgreSQL, a child process or a browser rather
// than on the CPU, and every file works on its own temp folder, database, Redis prefix and port 0,
// so they can overlap (docs/testing.md). The slowest files start first, by the durations the last
// run recorded (end-to-end files first when there is no record), so no long file starts last and
// runs alone; they are listed at the end, on stderr.
//
// The TypeScript is compiled once for the whole run (scripts/compile-tests.mjs) and each file runs
// as plain JavaScript in its own process, as before: tsx's module hooks cost each process about a
// second of CPU (docs/testing.md, "How a test file starts"). TEST_TSX=1 runs the .ts files through
// tsx instead, as the suite did before.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compiledPath, compileRepository, removeBuild } from './compile-tests.mjs';

const DURATIONS_FILE = join('node_modules', '.cache', 'fastify-users', 'test-durations.json');

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

/** Milliseconds each file took last time (scripts/test-file-durations.mjs writes them). */
function recordedDurations() {
  try {
    return JSON.parse(readFileSync(DURATIONS_FILE, 'utf8'));
  } catch {
    return {};
  }
}
const recorded = recordedDurations();
const expected = (file) => recorded[file] ?? (file.startsWith(join('test', 'e2e')) ? 1e9 : 0);
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
// Ctrl-C reaches the test runner too; this process outlives it long enough to remove the build.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
const result = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', ...reporters, ...concurrency, ...flags, ...files.map((file) => compiledPath(build, file))],
  // The e2e files start `fastify-users serve` from the same build (test/support/processes.ts).
  { stdio: 'inherit', env: { ...env, TEST_COMPILED_DIR: build } },
);
removeBuild(build);
process.exit(result.status ?? 1);
