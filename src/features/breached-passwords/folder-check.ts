import { opendir } from 'node:fs/promises';
import { prefixOf, RANGE_COUNT } from './sha1-range.js';

/** A range file's name as the downloader writes it (`0A1B2.txt`), or bare (`0A1B2`). */
const RANGE_FILE = /^([0-9A-F]{5})(\.txt)?$/;

/** What {@link checkRangeFolder} found. */
export interface RangeFolderReport {
  /** Distinct prefixes with a file. */
  present: number;
  /** How many prefixes have no file, and the first few of them in order. */
  missingCount: number;
  missing: string[];
  /** Entries that are not a range file's name (lower-case hex, a stray file, a folder), the first few. */
  malformedCount: number;
  malformed: string[];
}

/**
 * Whether a folder holds the whole corpus: one file per prefix 00000…FFFFF (16^5 = 1,048,576),
 * named as the lookup expects. Reads the directory as a stream of entries — a complete folder's
 * listing is a million names — and keeps one bit per prefix.
 */
export async function checkRangeFolder(folder: string, keep = 5): Promise<RangeFolderReport> {
  const seen = new Uint8Array(RANGE_COUNT);
  const malformed: string[] = [];
  let malformedCount = 0;
  let present = 0;
  for await (const entry of await opendir(folder, { bufferSize: 1024 })) {
    const match = entry.isFile() || entry.isSymbolicLink() ? RANGE_FILE.exec(entry.name) : null;
    if (match === null) {
      malformedCount += 1;
      if (malformed.length < keep) malformed.push(entry.name);
      continue;
    }
    const index = Number.parseInt(match[1]!, 16);
    if (seen[index] === 0) present += 1;
    seen[index] = 1;
  }
  const missing: string[] = [];
  let missingCount = 0;
  for (let i = 0; i < RANGE_COUNT; i++) {
    if (seen[i] === 1) continue;
    missingCount += 1;
    if (missing.length < keep) missing.push(prefixOf(i));
  }
  malformed.sort();
  return { present, missingCount, missing, malformedCount, malformed };
}
