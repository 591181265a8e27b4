import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommandArgs, UsageError } from '../../src/cli/args.js';
import { parseCSV } from '../../src/cli/csv.js';

describe('CLI parsing helpers', () => {
  test('CSV: BOM, header case, quotes with commas, escaped quotes and newlines, CRLF and LF mixed, blank lines', () => {
    const { header, rows } = parseCSV('\uFEFFEmail,Hashed_Password\r\n"a,b@example.com","x""y"\r\n\r\n"multi\nline",z\nlast@example.com,w');
    assert.deepEqual(header, ['email', 'hashed_password']);
    assert.deepEqual(rows, [
      { line: 2, values: { email: 'a,b@example.com', hashed_password: 'x"y' } },
      { line: 4, values: { email: 'multi\nline', hashed_password: 'z' } },
      { line: 6, values: { email: 'last@example.com', hashed_password: 'w' } },
    ]);
    assert.deepEqual(parseCSV(''), { header: [], rows: [] });
  });

  test('CSV: a short row gets empty values; a header alone is no rows; a stray quote is an error naming the line', () => {
    assert.deepEqual(parseCSV('email,hashed_password\nonly@example.com\n'), {
      header: ['email', 'hashed_password'],
      rows: [{ line: 2, values: { email: 'only@example.com', hashed_password: '' } }],
    });
    assert.deepEqual(parseCSV('email,hashed_password\n'), { header: ['email', 'hashed_password'], rows: [] });
    assert.throws(() => parseCSV('email,hashed_password\na@example.com,x\nb@exa"mple.com,y\n'), { message: /line 3/ });
  });

  test('arguments: flags, valued options in both spellings, unknown options refused without echoing a value', () => {
    const options = { superuser: { type: 'boolean' }, table: { type: 'string' } } as const;
    const parsed = parseCommandArgs(['a@example.com', '--superuser', '--table=user'], options);
    assert.deepEqual(parsed.positionals, ['a@example.com']);
    assert.equal(parsed.values.superuser, true);
    assert.equal(parsed.values.table, 'user');
    assert.equal(parseCommandArgs(['--table', 'auth_user'], options).values.table, 'auth_user');
    assert.throws(
      () => parseCommandArgs(['--password=hunter2hunter2'], options),
      (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /--password/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
    assert.throws(() => parseCommandArgs(['--table'], options), UsageError);
    assert.throws(() => parseCommandArgs(['--superuser=yes'], options), UsageError);
  });
});
