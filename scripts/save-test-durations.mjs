#!/usr/bin/env node
// `npm run test:durations`: copies this checkout's durations record (what the last `npm test`
// measured, per file) into the committed baseline, scripts/test-durations.json, which
// scripts/run-tests.mjs plans by when a checkout has no record of its own (a fresh clone, CI).
// Run it after a full `npm test` on a quiet machine, when files were added or their times moved
// (docs/testing.md, "The order and the baseline").
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { BASELINE_DURATIONS_FILE, DURATIONS_FILE } from './test-file-durations.mjs';

let record;
try {
  record = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8'));
} catch (error) {
  console.error(`no durations record to save (${error.message}): run the whole suite with npm test first`);
  process.exit(1);
}
// Files since removed or renamed are left out; a tenth of a second is all the planning needs.
const baseline = Object.fromEntries(
  Object.entries(record)
    .filter(([file]) => existsSync(file))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([file, ms]) => [file.split('\\').join('/'), Math.round(ms / 100) * 100]),
);
writeFileSync(BASELINE_DURATIONS_FILE, `${JSON.stringify(baseline, null, 2)}\n`);
console.log(`${BASELINE_DURATIONS_FILE}: ${Object.keys(baseline).length} files`);
