import { CsvError } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { importOptional } from '../optional-packages.js';
import { loadSqlite } from '../store/sql/sqlite-driver.js';
import { UsageError } from './args.js';
import { parseCSV } from './csv.js';

/** One row to import, with where it came from (for messages that never show the hash). */
export interface SourceRow {
  /** "line 4" or "row 4". */
  where: string;
  values: Record<string, unknown>;
}

/** Users from a CSV file or a SQLite/PostgreSQL table: the rows, counted up front for the progress bar. */
export interface UserSource {
  rows: SourceRow[];
  describe: string;
  /** fastapi-users' `oauth_account` rows of a database source (empty when it has no such table). */
  oauthRows: SourceRow[];
}

/** Default table read from a database source (docs/migrating-from-fastapi.md); fastapi-users' SQLAlchemy table is `user`. */
export const DEFAULT_IMPORT_TABLE = 'users';
/** fastapi-users' table of linked provider accounts (`SQLAlchemyBaseOAuthAccountTable`). */
export const DEFAULT_OAUTH_IMPORT_TABLE = 'oauth_account';

/** `schema.table` or `table`, each part an SQL identifier: checked, then double-quoted. */
function quoteTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) throw new UsageError(`--table "${table}" is not a table name`);
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** Opens `file.csv`, `sqlite:<path>` or `postgres://…` and reads every row. */
export async function readUserSource(source: string, table = DEFAULT_IMPORT_TABLE, oauthTable = DEFAULT_OAUTH_IMPORT_TABLE): Promise<UserSource> {
  const users = quoteTable(table);
  const links = quoteTable(oauthTable);
  if (source.startsWith('sqlite:')) {
    const path = source.slice('sqlite:'.length);
    const Sqlite = await loadSqlite('import source');
    const db = new Sqlite(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare(`SELECT * FROM ${users}`).all() as Record<string, unknown>[];
      const hasLinks = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(oauthTable.split('.').at(-1)) !== undefined;
      const oauthRows = hasLinks ? (db.prepare(`SELECT * FROM ${links}`).all() as Record<string, unknown>[]) : [];
      return { rows: toSourceRows(rows), oauthRows: toSourceRows(oauthRows), describe: `${path} table ${table}` };
    } finally {
      db.close();
    }
  }
  if (source.startsWith('postgres://') || source.startsWith('postgresql://')) {
    const pg = (await importOptional('pg', 'import source', 'postgres://', () => import('pg'))).default;
    const client = new pg.Client({ connectionString: source, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const result = await client.query(`SELECT * FROM ${users}`);
      const hasLinks = (await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [links])).rows[0].present === true;
      const oauthRows = hasLinks ? (await client.query(`SELECT * FROM ${links}`)).rows : [];
      return { rows: toSourceRows(result.rows), oauthRows: toSourceRows(oauthRows), describe: `PostgreSQL table ${table}` };
    } finally {
      await client.end();
    }
  }
  const { header, rows } = parseSourceCSV(source);
  if (!header.includes('email')) throw new UsageError(`${source}: the header row has no "email" column`);
  return { rows: rows.map((r) => ({ where: `line ${r.line}`, values: r.values })), oauthRows: [], describe: source };
}

function toSourceRows(rows: Record<string, unknown>[]): SourceRow[] {
  return rows.map((values, i) => ({ where: `row ${i + 1}`, values: lowerKeys(values) }));
}

/** The CSV file's records; malformed CSV is the operator's to fix, reported with csv-parse's line. */
function parseSourceCSV(source: string): ReturnType<typeof parseCSV> {
  try {
    return parseCSV(readFileSync(source, 'utf8'));
  } catch (error) {
    if (error instanceof CsvError) throw new UsageError(`${source}: ${error.message}`);
    throw error;
  }
}

function lowerKeys(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
}
