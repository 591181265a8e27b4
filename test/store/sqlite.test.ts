import { join } from 'node:path';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { tempDir } from '../helpers.js';
import { storeConformance, type StoreFixture } from './conformance.js';
import { secondFactorConformance } from './second-factor-conformance.js';

async function sqliteFixture(): Promise<StoreFixture> {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  return {
    store,
    cleanup: async () => {
      await store.close();
      dir.cleanup();
    },
  };
}

storeConformance('SQLite file', sqliteFixture);
secondFactorConformance('SQLite file', sqliteFixture);
