// Writes the configuration tables of README.md (essential settings) and docs/configuration.md
// (all of them) from src/settings.ts, between their `<!-- settings:… -->` markers.
// test/settings.test.ts fails when a table is out of date: run `npm run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { configurationTables, replaceBetweenMarkers } from '../src/settings-docs.js';

for (const [file, table] of Object.entries(configurationTables())) {
  const path = new URL(`../${file}`, import.meta.url);
  writeFileSync(path, replaceBetweenMarkers(readFileSync(path, 'utf8'), table));
  console.log(`wrote the settings table of ${file}`);
}
