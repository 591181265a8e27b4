import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { parseCSV } from '../../src/cli/csv.js';

describe('CLI parsing helpers', () => {
  test('CSV: BOM, header case, quotes with commas, escaped quotes and newlines, CRLF, blank lines', () => {
    const { header, rows } = parseCSV('\uFEFFEmail,Hashed_Password\r\n"a,b@example.com","x""y"\r\n\r\n"multi\nline",z\nlast@example.com,w');
    assert.deepEqual(header, ['email', 'hashed_password']);
    assert.deepEqual(rows, [
      { line: 2, values: { email: 'a,b@example.com', hashed_password: 'x"y' } },
      { line: 4, values: { email: 'multi\nline', hashed_password: 'z' } },
      { line: 6, values: { email: 'last@example.com', hashed_password: 'w' } },
    ]);
    assert.deepEqual(parseCSV(''), { header: [], rows: [] });
  });

  test('arguments: flags, valued options in both spellings, unknown options refused', () => {
    const parsed = parseArgs(['a@example.com', '--superuser', '--table=user'], { flags: ['superuser'], valued: ['table'] });
    assert.deepEqual(parsed.positional, ['a@example.com']);
    assert.ok(parsed.flags.has('superuser'));
    assert.equal(parsed.values.get('table'), 'user');
    assert.equal(parseArgs(['--table', 'auth_user'], { valued: ['table'] }).values.get('table'), 'auth_user');
    assert.throws(() => parseArgs(['--password', 'secret'], { flags: ['superuser'] }), UsageError);
    assert.throws(() => parseArgs(['--table'], { valued: ['table'] }), UsageError);
    assert.throws(() => parseArgs(['--superuser=yes'], { flags: ['superuser'] }), UsageError);
  });
});
