/**
 * New SQLite files our migrations already ran on, for the tests that build an app or a store on a
 * file of their own (nearly all of them).
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { tempDir } from './temp.js';

let sqliteTemplate: Promise<string> | undefined;

/**
 * A `sqlite:` URL for a new database file in `dir` that our migrations already ran on: a copy of
 * one file this process migrated once (removed when the process exits). Migrating a new file costs
 * tens of milliseconds of CPU and thirteen transactions, paid by nearly every test that builds an
 * app; a copy costs a file copy. Whoever opens it still runs `migrateToLatest` (nothing to do);
 * the migrations' own tests (test/store/migrations.test.ts) start from empty files.
 */
export async function migratedSqliteURL(dir: { path: string }, file = 'auth.db'): Promise<string> {
  sqliteTemplate ??= (async () => {
    const templateDir = tempDir('fastify-users-template-');
    process.once('exit', () => templateDir.cleanup());
    const path = join(templateDir.path, 'auth.db');
    await (await SQLStore.open(`sqlite:${path}`)).close();
    return path;
  })();
  const template = await sqliteTemplate;
  const path = join(dir.path, file);
  // Closed, the file holds everything (the last connection checkpoints the write-ahead log);
  // copy a log anyway should one be left.
  for (const suffix of ['', '-wal']) if (existsSync(template + suffix)) copyFileSync(template + suffix, path + suffix);
  return `sqlite:${path}`;
}
