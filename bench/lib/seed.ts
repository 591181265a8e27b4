import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { digestToken } from '../../src/core/token.js';
import { SQLStore } from '../../src/store/sql/sql-store.js';

/** The password of every seeded user; the login benchmarks send it. */
export const BENCH_PASSWORD = 'correct horse battery staple';
/** The account `/token` benchmarks log in as. */
export const LOGIN_EMAIL = 'login@bench.test';

export interface SeedPlan {
  users: number;
  tokens: number;
  /** One precomputed hash (real OWASP parameters) shared by every user: seeding must not hash. */
  hashedPassword: string;
  /** Called with (done, total) while rows go in. */
  progress?: (done: number, total: number) => void;
}

/** Token number `i` of a seeded database: deterministic, so the bench knows tokens without storing them. */
export function benchToken(i: number): string {
  return createHash('sha256').update(`bench-token-${i}`).digest('base64url');
}

/** `count` tokens spread evenly over a seeded database of `total` tokens. */
export function sampleTokens(total: number, count: number): string[] {
  const n = Math.min(total, count);
  const step = total / n;
  return Array.from({ length: n }, (_, k) => benchToken(Math.floor(k * step)));
}

const DAY_MS = 86_400_000;

/**
 * Seeds a SQLite file directly (not through HTTP): the schema comes from our own migrations,
 * then rows go in through prepared inserts in large transactions, with the secondary indexes
 * dropped during the load and rebuilt after (one sort instead of millions of random inserts).
 */
export async function seedSqlite(path: string, plan: SeedPlan): Promise<void> {
  const store = await SQLStore.open(`sqlite:${path}`);
  await store.close();
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -2000000'); // 2 GB of page cache: the primary-key index stays in memory
    db.pragma('temp_store = MEMORY');
    const now = new Date();
    const created = now.toISOString();
    const expires = new Date(now.getTime() + 30 * DAY_MS).toISOString();
    const total = plan.users + 1 + plan.tokens;
    let done = 0;
    const insertUser = db.prepare(
      'insert into users (email, hashed_password, is_active, is_superuser, is_verified, created_at, updated_at) values (?, ?, 1, 0, 1, ?, ?)',
    );
    const insertToken = db.prepare(
      'insert into access_tokens (token, user_id, expiration_date, created_at, last_used_at, user_agent, ip) values (?, ?, ?, ?, ?, null, null)',
    );
    const batch = 50_000;
    db.exec('drop index if exists access_tokens_user_id_idx; drop index if exists access_tokens_expiration_idx; drop index if exists users_email_key');
    insertUser.run(LOGIN_EMAIL, plan.hashedPassword, created, created);
    for (let start = 0; start < plan.users; start += batch) {
      const end = Math.min(plan.users, start + batch);
      db.transaction(() => {
        for (let i = start; i < end; i++) insertUser.run(`user${i}@bench.test`, plan.hashedPassword, created, created);
      })();
      done = end + 1;
      plan.progress?.(done, total);
    }
    // User ids are 1 (the login account) then 2..users+1; token i belongs to user 2 + i % users.
    for (let start = 0; start < plan.tokens; start += batch) {
      const end = Math.min(plan.tokens, start + batch);
      db.transaction(() => {
        for (let i = start; i < end; i++) {
          insertToken.run(digestToken(benchToken(i)), 2 + (i % plan.users), expires, created, created);
        }
      })();
      done = plan.users + 1 + end;
      plan.progress?.(done, total);
    }
    db.exec(
      'create unique index users_email_key on users (email);' +
        'create index access_tokens_user_id_idx on access_tokens (user_id);' +
        'create index access_tokens_expiration_idx on access_tokens (expiration_date);',
    );
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

/** Seeds any database URL through the store's Kysely instance in batches (small sizes; PostgreSQL). */
export async function seedThroughKysely(url: string, plan: SeedPlan): Promise<void> {
  const store = await SQLStore.open(url);
  try {
    const pg = store.dialect === 'postgres';
    const now = new Date();
    const time = (d: Date) => (pg ? d : d.toISOString()) as never;
    const bool = (b: boolean) => (pg ? b : b ? 1 : 0) as never;
    const user = (email: string) => ({
      email,
      hashed_password: plan.hashedPassword,
      is_active: bool(true),
      is_superuser: bool(false),
      is_verified: bool(true),
      created_at: time(now),
      updated_at: time(now),
    });
    await store.db.insertInto('users').values(user(LOGIN_EMAIL)).execute();
    const batch = 1000;
    for (let start = 0; start < plan.users; start += batch) {
      const rows = [];
      for (let i = start; i < Math.min(plan.users, start + batch); i++) rows.push(user(`user${i}@bench.test`));
      await store.db.insertInto('users').values(rows).execute();
    }
    const expires = new Date(now.getTime() + 30 * DAY_MS);
    for (let start = 0; start < plan.tokens; start += batch) {
      const rows = [];
      for (let i = start; i < Math.min(plan.tokens, start + batch); i++) {
        rows.push({
          token: digestToken(benchToken(i)),
          user_id: 2 + (i % plan.users),
          expiration_date: time(expires),
          created_at: time(now),
          last_used_at: time(now),
          user_agent: null,
          ip: null,
        });
      }
      await store.db.insertInto('access_tokens').values(rows).execute();
      plan.progress?.(plan.users + 1 + start + rows.length, plan.users + 1 + plan.tokens);
    }
  } finally {
    await store.close();
  }
}

/** A progress bar on stderr (only when it is a terminal, or when forced). */
export function progressBar(label: string): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 250) return;
    last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en')}/${total.toLocaleString('en')}`);
    if (done >= total) process.stderr.write('\n');
  };
}
