import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { countInRange, SUFFIX_LENGTH, type RangeKey } from './sha1-range.js';

/** Below this many bytes left to search, the rest is read in one go and its lines compared. */
const LINEAR_TAIL = 1024;
/** Enough to reach the next line start and read its suffix (a line is ~45 bytes). */
const PROBE = 160;
const NEWLINE = 0x0a;

/**
 * Looks a password up in an offline copy of the Pwned Passwords range files, as the official
 * downloader writes them (`haveibeenpwned-downloader <dir> -s false`): one file per 5-hex-digit
 * prefix, `<PREFIX>.txt` (a bare `<PREFIX>` is accepted too), of `SUFFIX:COUNT` lines sorted by
 * suffix. One lookup opens one file and binary-searches it with positioned reads: nothing of the
 * folder is held in memory (docs/breached-passwords.md).
 *
 * The reads are synchronous on purpose. libuv's four threads are the ones argon2 hashes on, and
 * the hashing limit keeps four hashes running during a burst of registrations: an asynchronous
 * read then waits for a whole hash to finish, and a lookup's dozen reads waited 0.3 s at the
 * median (docs/BENCHMARKS.md, row 10). A positioned read of a file in the page cache is a few
 * microseconds on the event loop; a lookup, some tens.
 */
export class RangeFolder {
  constructor(readonly folder: string) {}

  /**
   * How often the password's hash appears in the corpus (0: not found), or `null` when the
   * prefix's file is missing — an incomplete folder, for the caller to report.
   */
  count(key: RangeKey): number | null {
    const fd = this.openRange(key.prefix);
    if (fd === null) return null;
    try {
      return searchRange(fd, key.suffix);
    } finally {
      closeSync(fd);
    }
  }

  private openRange(prefix: string): number | null {
    for (const name of [`${prefix}.txt`, prefix]) {
      try {
        return openSync(join(this.folder, name), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return null;
  }
}

/**
 * Binary search over byte offsets of a sorted range file. Invariant: `lo` is a line start and the
 * line holding `suffix`, if any, starts in `[lo, hi)`. Each step reads a few bytes at the middle,
 * skips to the next line start and compares that line's suffix.
 */
function searchRange(fd: number, suffix: string): number {
  const { size } = fstatSync(fd);
  const target = Buffer.from(suffix, 'latin1');
  const probe = Buffer.alloc(PROBE);
  let lo = 0;
  let hi = size;
  while (hi - lo > LINEAR_TAIL) {
    const mid = Math.floor((lo + hi) / 2);
    // From mid − 1, so a line starting exactly at mid is found too.
    const bytesRead = readSync(fd, probe, 0, PROBE, mid - 1);
    const newline = probe.subarray(0, bytesRead).indexOf(NEWLINE);
    const start = newline === -1 ? hi : mid + newline;
    if (start >= hi || newline + 1 + SUFFIX_LENGTH > bytesRead) {
      // No complete line starts in [mid, hi): the line sought starts before mid.
      hi = mid;
      continue;
    }
    const order = compareUpper(probe.subarray(newline + 1, newline + 1 + SUFFIX_LENGTH), target);
    if (order === 0) {
      const rest = probe.subarray(newline + 1, bytesRead).toString('latin1');
      return countInRange(rest.split('\n')[0]!, suffix);
    }
    if (order < 0) lo = start;
    else hi = start;
  }
  // The tail: lines starting in [lo, hi), the last of which may run past hi.
  const tail = Buffer.alloc(hi - lo + PROBE);
  const bytesRead = readSync(fd, tail, 0, tail.length, lo);
  return countInRange(tail.subarray(0, bytesRead).toString('latin1'), suffix);
}

/** Byte order of two hex strings, the file's side upper-cased (the downloader writes upper case). */
function compareUpper(line: Buffer, target: Buffer): number {
  for (let i = 0; i < target.length; i++) {
    let a = line[i]!;
    if (a >= 0x61 && a <= 0x66) a -= 0x20;
    const b = target[i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
