import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temporary directory removed by `cleanup()`. Every test file makes its own (`mkdtemp` names
 * never collide), so files can run at the same time.
 */
export function tempDir(prefix = 'fastify-users-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A `sqlite:` URL for a new database file in `dir`. */
export function sqliteURL(dir: { path: string }, file = 'auth.db'): string {
  return `sqlite:${join(dir.path, file)}`;
}
