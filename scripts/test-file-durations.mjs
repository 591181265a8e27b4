// A node:test reporter that prints the slowest test files at the end of a run: the duration node
// reports for each file (its process, from start to exit), which is what to look at when the suite
// gets slow, listed under their .ts names (scripts/compile-tests.mjs runs compiled copies).
// scripts/run-tests.mjs adds it beside the spec reporter; TEST_DURATIONS_TOP sets how many files
// are listed (default 10). With TEST_DURATIONS_FILE set, every file's duration is also
// merged into that JSON file, which run-tests.mjs reads to start the slowest files first
// (DURATIONS_FILE; BASELINE_DURATIONS_FILE is the committed copy, scripts/save-test-durations.mjs).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { sourceNames } from './compile-tests.mjs';
import { BATCH_DIR } from './test-batches.mjs';

const BATCH_RUNNER = 'test-batch-runner.mjs';

/** This checkout's record, rewritten by every `npm test`. */
export const DURATIONS_FILE = join('node_modules', '.cache', 'fastify-users', 'test-durations.json');
/** The committed record of a full run, for checkouts without one of their own (`npm run test:durations`). */
export const BASELINE_DURATIONS_FILE = join('scripts', 'test-durations.json');

const top = Number(process.env.TEST_DURATIONS_TOP ?? 10);
const record = process.env.TEST_DURATIONS_FILE;

function save(files) {
  let known = {};
  try {
    known = JSON.parse(readFileSync(record, 'utf8'));
  } catch {
    // First run, or an unreadable record: start a new one.
  }
  for (const { file, ms } of files) known[file] = Math.round(ms);
  mkdirSync(dirname(record), { recursive: true });
  writeFileSync(record, `${JSON.stringify(known, null, 1)}\n`);
}

export default async function* fileDurations(source) {
  const files = [];
  const batches = [];
  const inBatches = [];
  for await (const event of source) {
    // Node reports each file as a test of its own, named after the file, once its process ends.
    const { data } = event;
    if (event.type !== 'test:complete' || data.nesting !== 0 || !data.file) continue;
    if (data.name === data.file) {
      const file = relative(process.cwd(), sourceNames(data.file));
      // A batch is listed (its process, start to exit) but not recorded: its files are.
      (file.includes(BATCH_DIR) ? batches : files).push({ file, ms: data.details.duration_ms });
    } else if (data.file.endsWith(BATCH_RUNNER)) {
      // A file run in a batch is a describe named after it (scripts/test-batch-runner.mjs): its time
      // there, without the process start it shares, is what the next run plans the batches by.
      inBatches.push({ file: data.name, ms: data.details.duration_ms });
    }
  }
  if (files.length + batches.length === 0) return;
  if (record) save([...files, ...inBatches]);
  const processes = [...files, ...batches].sort((a, b) => b.ms - a.ms);
  const total = processes.reduce((sum, f) => sum + f.ms, 0);
  const of = batches.length > 0 ? `${files.length} files and ${batches.length} batches of ${inBatches.length}` : `${files.length}`;
  yield `\nslowest test processes (of ${of}, ${(total / 1000).toFixed(1)} s in all):\n`;
  for (const { file, ms } of processes.slice(0, top)) yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}
