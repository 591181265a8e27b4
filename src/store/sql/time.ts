import type { DbTime, Dialect } from './schema.js';

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, what `Date#toISOString()` writes for the years 0–9999. */
const ISO_LENGTH = 24;

/**
 * A stored time as a `Date`. PostgreSQL's driver already gives `Date`s; SQLite gives the ISO 8601
 * text this store wrote with `toISOString()`, read here by position: V8's general date parser
 * (`new Date(text)`) cost about 0.6 µs per value, five values per authenticated request
 * (docs/BENCHMARKS.md). Any other shape goes to `new Date(text)`, so nothing is misread.
 */
export function fromDbTime(value: DbTime): Date {
  if (typeof value !== 'string') return value;
  if (
    value.length !== ISO_LENGTH ||
    value[4] !== '-' ||
    value[7] !== '-' ||
    value[10] !== 'T' ||
    value[13] !== ':' ||
    value[16] !== ':' ||
    value[19] !== '.' ||
    value[23] !== 'Z'
  ) {
    return new Date(value);
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hours = digits(value, 11, 2);
  const minutes = digits(value, 14, 2);
  const seconds = digits(value, 17, 2);
  const millis = digits(value, 20, 3);
  // Date.UTC maps years 0–99 to 1900–1999 and rolls 31 April into May; leave those to the parser.
  if ((year | month | day | hours | minutes | seconds | millis) < 0 || year < 100 || hours > 23 || minutes > 59 || seconds > 59) {
    return new Date(value);
  }
  const date = new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, millis));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : new Date(value);
}

/** The number written with `length` decimal digits at `start`, or -1 if any is not a digit. */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** A time as the dialect stores it: ISO 8601 text on SQLite, a `Date` for PostgreSQL's timestamptz. */
export function toDbTime(dialect: Dialect, date: Date): DbTime {
  return dialect === 'sqlite' ? date.toISOString() : date;
}
