import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { RangeFolder } from '../../../src/features/breached-passwords/range-folder.js';
import { rangeKeyOf } from '../../../src/features/breached-passwords/sha1-range.js';
import { tempDir } from '../../support/temp.js';
import { writeRangeFolder } from './range-fixture.js';

/** The offline lookup: one range file per prefix, binary-searched (docs/breached-passwords.md). */
describe('RangeFolder', () => {
  const dirs: { path: string; cleanup: () => void }[] = [];
  const folder = (spec: Parameters<typeof writeRangeFolder>[1]) => {
    const dir = tempDir('breached-');
    dirs.push(dir);
    return { lines: writeRangeFolder(dir.path, spec), lookup: new RangeFolder(dir.path) };
  };
  after(() => {
    for (const d of dirs) d.cleanup();
  });

  test('the SHA-1 split is upper-case hex, 5 + 35 digits ("password" → 5BAA6…)', () => {
    assert.deepEqual(rangeKeyOf('password'), { prefix: '5BAA6', suffix: '1E4C9B93F3F0682250B6CF8331B7EE68FD8' });
    const sha = createHash('sha1').update('pässwörd', 'utf8').digest('hex').toUpperCase();
    assert.equal(rangeKeyOf('pässwörd').prefix + rangeKeyOf('pässwörd').suffix, sha);
  });

  for (const eol of ['\r\n', '\n'] as const) {
    for (const bare of [false, true]) {
      test(`finds every listed suffix and no other (${eol === '\n' ? 'LF' : 'CRLF'}, ${bare ? 'bare names' : '<PREFIX>.txt'})`, async () => {
        const { lines, lookup } = folder({ passwords: { 'breached passphrase one': 42, 'padding-like zero count': 0 }, filler: 1500, eol, bare });
        const prefix = rangeKeyOf('breached passphrase one').prefix;
        assert.equal(await lookup.count(rangeKeyOf('breached passphrase one')), 42);
        assert.equal(await lookup.count(rangeKeyOf('padding-like zero count')), 0, 'a count of 0 is not a match');
        // Lines all through a file, the first and last three included, are found with their
        // count: the search has no blind spot at the edges or at the tail it reads in one go.
        const list = lines.get(prefix)!;
        for (const line of list.filter((_, i) => i < 3 || i >= list.length - 3 || i % 7 === 0)) {
          const [suffix, count] = line.split(':');
          assert.equal(await lookup.count({ prefix, suffix: suffix! }), Number(count), line);
        }
        // Suffixes between the listed ones, below the first and above the last, are not found.
        for (const suffix of ['0'.repeat(35), 'F'.repeat(35), ...list.slice(0, 60).map((l) => `${l.slice(0, 34)}${l[34] === '0' ? '1' : '0'}`)]) {
          if (list.some((l) => l.startsWith(`${suffix}:`))) continue;
          assert.equal(await lookup.count({ prefix, suffix }), 0, suffix);
        }
      });
    }
  }

  test('a prefix with no file is null (the folder is incomplete), not 0', async () => {
    const { lookup } = folder({ passwords: { 'breached passphrase one': 3 } });
    const other = { prefix: rangeKeyOf('breached passphrase one').prefix === '00000' ? '00001' : '00000', suffix: 'A'.repeat(35) };
    assert.equal(await lookup.count(other), null);
  });

  test('small files (under the linear tail), an empty file and a one-line file', async () => {
    const { lookup } = folder({ passwords: { 'only line here!': 7 }, filler: 0 });
    assert.equal(await lookup.count(rangeKeyOf('only line here!')), 7);
    const { lookup: empty } = folder({ passwords: {}, filler: 0, extraPrefixes: ['ABCDE'] });
    assert.equal(await empty.count({ prefix: 'ABCDE', suffix: 'A'.repeat(35) }), 0);
  });

  test('a large file (100,000 lines, ~4 MB) is binary-searched: a lookup reads a few KB of it', async () => {
    const { lookup } = folder({ passwords: { 'deep in a big file': 12 }, filler: 100_000, eol: '\n' });
    const key = rangeKeyOf('deep in a big file');
    // Counts what the lookup reads: node:fs's readSync replaced for the call, its ES-module
    // binding updated to match (module.syncBuiltinESMExports).
    const original = fs.readSync;
    let bytes = 0;
    let reads = 0;
    fs.readSync = ((...args: Parameters<typeof fs.readSync>) => {
      const read = original(...args);
      bytes += read;
      reads += 1;
      return read;
    }) as typeof fs.readSync;
    syncBuiltinESMExports();
    try {
      assert.equal(await lookup.count(key), 12);
    } finally {
      fs.readSync = original;
      syncBuiltinESMExports();
    }
    assert.ok(reads >= 5 && reads <= 30 && bytes < 8192, `${reads} reads, ${bytes} bytes`);
  });
});
