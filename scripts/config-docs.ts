// Writes the configuration table of docs/configuration.md (every setting) from src/settings.ts,
// between its `<!-- settings:… -->` markers.
// test/settings.test.ts fails when it is out of date: run `npm run docs:config`.
import { readFileSync, writeFileSync } from 'node:fs';
import { configurationTables, replaceBetweenMarkers } from '../src/settings-docs.js';

for (const [file, table] of Object.entries(configurationTables())) {
  const path = new URL(`../${file}`, import.meta.url);
  writeFileSync(path, replaceBetweenMarkers(readFileSync(path, 'utf8'), table));
  console.log(`wrote the settings table of ${file}`);
}
