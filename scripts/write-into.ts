import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WriteIntoOptions {
  /** Moved in after every other file: the entry point, so it never refers to a chunk not there yet. */
  last?: string;
  /** Afterwards, delete the files of `outDir` this build did not write (a previous build's chunks). */
  prune?: boolean;
}

/**
 * Runs `write` against a scratch folder beside `outDir`, then renames each file it wrote into
 * `outDir` (atomic on one file system), so a server or test reading the folder while another
 * process rebuilds it never sees a half-written file. The scratch folder is removed either way.
 */
export async function writeInto(outDir: string, write: (scratch: string) => Promise<void>, options: WriteIntoOptions = {}): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(dirname(outDir), '.build-'));
  try {
    await write(scratch);
    const written = readdirSync(scratch);
    const ordered = [...written.filter((file) => file !== options.last), ...written.filter((file) => file === options.last)];
    for (const file of ordered) renameSync(join(scratch, file), join(outDir, file));
    if (options.prune) {
      const keep = new Set(written);
      for (const file of readdirSync(outDir)) if (!keep.has(file)) rmSync(join(outDir, file), { recursive: true, force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
