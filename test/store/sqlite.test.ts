import { join } from 'node:path';
import { SQLStore } from '../../src/store/sql/sql-store.js';
import { tempDir } from '../helpers.js';
import { storeConformance } from './conformance.js';

storeConformance('SQLite file', async () => {
  const dir = tempDir();
  const store = await SQLStore.open(`sqlite:${join(dir.path, 'auth.db')}`);
  return {
    store,
    cleanup: async () => {
      await store.close();
      dir.cleanup();
    },
  };
});
