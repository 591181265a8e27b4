/**
 * Parses RFC 4180 CSV (quoted fields, `""` escapes, CRLF or LF, a UTF-8 BOM) into records keyed
 * by the header row's names, trimmed and lower-cased. Each record keeps its line number.
 */
export function parseCSV(text: string): { header: string[]; rows: Array<{ line: number; values: Record<string, string> }> } {
  const records = splitRecords(text.replace(/^\uFEFF/, ''));
  const [head, ...body] = records;
  if (!head) return { header: [], rows: [] };
  const header = head.fields.map((h) => h.trim().toLowerCase());
  const rows = body
    .filter((r) => !(r.fields.length === 1 && r.fields[0] === ''))
    .map((r) => ({ line: r.line, values: Object.fromEntries(header.map((name, i) => [name, r.fields[i] ?? ''])) }));
  return { header, rows };
}

function splitRecords(text: string): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line += 1;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      line += 1;
      start = line;
    } else field += c;
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}
