import type BetterSqlite3 from 'better-sqlite3';
import { importOptional } from '../../optional-packages.js';

/**
 * better-sqlite3, loaded on the first SQLite database rather than with the module graph: it is an
 * optional peer dependency (a native addon), so a library user on PostgreSQL neither installs nor
 * compiles it, and one who asks for `sqlite:` without it is told what to install
 * (docs/operations.md, "Installing the package").
 */
let driver: typeof BetterSqlite3 | undefined;

/** Loads better-sqlite3 once; `setting` names the option or argument that asked for SQLite. */
export async function loadSqlite(setting: string): Promise<typeof BetterSqlite3> {
  driver ??= (await importOptional('better-sqlite3', setting, 'sqlite:', () => import('better-sqlite3'))).default;
  return driver;
}

/**
 * The driver {@link loadSqlite} loaded, for the synchronous second connections opened to a file
 * the store has already opened (so it is loaded by then).
 */
export function loadedSqlite(): typeof BetterSqlite3 {
  if (driver === undefined) throw new Error('better-sqlite3 is not loaded yet: open the database first');
  return driver;
}
