import { parse } from 'csv-parse/sync';

/** One CSV record keyed by the header's names, with the line it starts on (for the import's messages). */
export interface CSVRow {
  line: number;
  values: Record<string, string>;
}

/** Line breaks as csv-parse counts them: CRLF, LF or CR, inside quoted fields too. */
const LINE_BREAK = /\r\n|\n|\r/g;

/**
 * Parses RFC 4180 CSV (quoted fields, `""` escapes, CRLF, LF or CR, a UTF-8 BOM, blank lines
 * skipped) with csv-parse into records keyed by the header row's names, trimmed and lower-cased.
 * A row with fewer fields than the header gets `''` for the rest. Malformed CSV (a stray quote, an
 * unclosed one) throws csv-parse's error, which names the line.
 */
export function parseCSV(text: string): { header: string[]; rows: CSVRow[] } {
  let header: string[] = [];
  const records = parse(text, {
    bom: true,
    columns: (names: string[]) => (header = names.map((name) => name.trim().toLowerCase())),
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  }) as Array<{ record: Record<string, string | undefined>; info: { lines: number } }>;
  const rows = records.map(({ record, info }) => {
    const values = Object.fromEntries(header.map((name) => [name, record[name] ?? '']));
    // `info.lines` is the line the record ends on; a quoted field may span several.
    const spanned = Object.values(values).reduce((count, value) => count + (value.match(LINE_BREAK)?.length ?? 0), 0);
    return { line: info.lines - spanned, values };
  });
  return { header, rows };
}
