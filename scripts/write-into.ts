import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Runs `write` against a scratch folder beside `outDir`, then renames each file it wrote into
 * `outDir` (atomic on one file system), so a server or test reading the folder while another
 * process rebuilds it never sees a half-written file. The scratch folder is removed either way.
 */
export async function writeInto(outDir: string, write: (scratch: string) => Promise<void>): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const scratch = mkdtempSync(join(dirname(outDir), '.build-'));
  try {
    await write(scratch);
    for (const file of readdirSync(scratch)) renameSync(join(scratch, file), join(outDir, file));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
