/**
 * Databases for the OAuth server's storage suites: a SQLite file (whose bytes a test can read) or
 * a fresh PostgreSQL database, with a way to open a second store on the same database (a second
 * instance of the service).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { freshDatabase } from '../../support/databases.js';
import { migratedSqliteURL } from '../../support/migrated-sqlite.js';
import { tempDir } from '../../support/temp.js';

export interface StorageFixture {
  store: SQLStore;
  /** Another store on the same database, closed by `cleanup()`. */
  another: () => Promise<SQLStore>;
  /** Every byte of the SQLite database as it is on disk (file and write-ahead log); `null` on PostgreSQL. */
  fileBytes: () => Buffer | null;
  cleanup: () => Promise<void>;
}

export interface StorageBackend {
  name: string;
  skip: string | false;
  open: () => Promise<StorageFixture>;
}

function withOthers(url: string, store: SQLStore, drop: () => Promise<void>, path: string | null): StorageFixture {
  const others: SQLStore[] = [];
  return {
    store,
    another: async () => {
      const other = await SQLStore.open(url, { migrate: false });
      others.push(other);
      return other;
    },
    fileBytes: () => (path === null ? null : Buffer.concat([path, `${path}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)))),
    cleanup: async () => {
      for (const other of others) await other.close();
      await store.close();
      await drop();
    },
  };
}

export function storageBackends(pg: { value: string | undefined; skip: string | false }): StorageBackend[] {
  return [
    {
      name: 'SQLite file',
      skip: false,
      open: async () => {
        const dir = tempDir();
        const url = await migratedSqliteURL(dir);
        const store = await SQLStore.open(url);
        return withOthers(url, store, async () => dir.cleanup(), url.slice('sqlite:'.length));
      },
    },
    {
      name: 'PostgreSQL',
      skip: pg.skip,
      open: async () => {
        const database = await freshDatabase(pg.value!, 'oauthsrv', { migrated: true });
        const store = await SQLStore.open(database.url);
        return withOthers(database.url, store, database.drop, null);
      },
    },
  ];
}
