import { sql } from 'kysely';
import type { Dialect } from '../schema.js';

export type { Dialect };

/**
 * The few column types that differ between the dialects, so each migration is written once for
 * both: ISO text and 0/1 on SQLite, timestamptz and boolean on PostgreSQL (`sql-store.ts`
 * converts at the edge).
 */
export function columnTypes(dialect: Dialect) {
  return dialect === 'postgres'
    ? ({ time: 'timestamptz', bool: 'boolean', true: sql`true`, false: sql`false` } as const)
    : ({ time: 'text', bool: 'integer', true: sql`1`, false: sql`0` } as const);
}
