// A node:test reporter that prints the slowest test files at the end of a run: the duration node
// reports for each file (its process, from start to exit), which is what to look at when the suite
// gets slow, listed under their .ts names (scripts/compile-tests.mjs runs compiled copies).
// scripts/run-tests.mjs adds it beside the spec reporter; TEST_DURATIONS_TOP sets how many files
// are listed (default 10). With TEST_DURATIONS_FILE set, every file's duration is also
// merged into that JSON file, which run-tests.mjs reads to start the slowest files first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { sourceNames } from './compile-tests.mjs';

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
  for await (const event of source) {
    // Node reports each file as a test of its own, named after the file, once its process ends.
    const { data } = event;
    if (event.type === 'test:complete' && data.nesting === 0 && data.file && data.name === data.file) {
      files.push({ file: relative(process.cwd(), sourceNames(data.file)), ms: data.details.duration_ms });
    }
  }
  if (files.length === 0) return;
  if (record) save(files);
  files.sort((a, b) => b.ms - a.ms);
  const total = files.reduce((sum, f) => sum + f.ms, 0);
  yield `\nslowest test files (of ${files.length}, ${(total / 1000).toFixed(1)} s in all):\n`;
  for (const { file, ms } of files.slice(0, top)) yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}
