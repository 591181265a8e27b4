/**
 * A generated folder of Pwned Passwords range files, written as the official downloader writes
 * them: `<PREFIX>.txt`, upper-case hex `SUFFIX:COUNT` lines sorted by suffix. Known passwords are
 * placed among deterministic filler lines, so a lookup has to search a realistically sized file.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rangeKeyOf } from '../../../src/features/breached-passwords/sha1-range.js';

export interface RangeFolderSpec {
  /** Passwords to list, with their count (0: a padding-like line that must not match). */
  passwords: Record<string, number>;
  /** Filler lines per file (a real file has ~1,000). */
  filler?: number;
  /** Line ending; the downloader writes CRLF. */
  eol?: '\r\n' | '\n';
  /** Write bare `<PREFIX>` names instead of `<PREFIX>.txt`. */
  bare?: boolean;
  /** More prefixes to write with filler only. */
  extraPrefixes?: string[];
}

/** Deterministic filler suffixes for a prefix: the SHA-1 of `filler-<prefix>-<i>`, minus its first five digits. */
export function fillerSuffixes(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => createHash('sha1').update(`filler-${prefix}-${i}`).digest('hex').toUpperCase().slice(5));
}

/** Writes the folder's files into `dir`; returns the lines written per prefix (sorted). */
export function writeRangeFolder(dir: string, spec: RangeFolderSpec): Map<string, string[]> {
  const byPrefix = new Map<string, string[]>();
  const lines = (prefix: string) => {
    let list = byPrefix.get(prefix);
    if (!list) {
      list = fillerSuffixes(prefix, spec.filler ?? 1000).map((suffix, i) => `${suffix}:${(i % 97) + 1}`);
      byPrefix.set(prefix, list);
    }
    return list;
  };
  for (const [password, count] of Object.entries(spec.passwords)) {
    const { prefix, suffix } = rangeKeyOf(password);
    lines(prefix).push(`${suffix}:${count}`);
  }
  for (const prefix of spec.extraPrefixes ?? []) lines(prefix);
  for (const [prefix, list] of byPrefix) {
    list.sort();
    writeFileSync(join(dir, spec.bare ? prefix : `${prefix}.txt`), list.join(spec.eol ?? '\r\n'));
  }
  return byPrefix;
}
