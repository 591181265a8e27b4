import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { SQLStore } from '../../../src/store/sql/sql-store.js';
import { ROOT } from '../../support/constants.js';
import { freshDatabase, type FreshDatabase, postgresStore, sqliteStore } from '../../support/databases.js';
import { SOURCE_NODE_ARGS, sourceModule } from '../../support/processes.js';
import { postgres } from '../../support/services.js';
import { sqliteURL, tempDir } from '../../support/temp.js';
import { auditStoreConformance, sampleEvent } from './audit-store-conformance.js';

const pg = postgres();

auditStoreConformance('SQLite file', sqliteStore);
auditStoreConformance('PostgreSQL', () => postgresStore(pg.value!, 'audit'), { skip: pg.skip });

/**
 * Appends `count` events to `url` from each of `processes` separate Node processes at once: each
 * opens its store and says so, and none appends before all have (a line on its stdin), so the
 * processes' appends overlap rather than follow each other's start-up, however slow the starts.
 * The store is the run's compiled copy under `npm test` (a start through tsx costs about a second
 * of CPU more), the TypeScript through tsx when this file runs on its own.
 */
async function appendFromOtherProcesses(url: string, count: number, processes = 3): Promise<void> {
  const script = `
    import { once } from 'node:events';
    import { SQLStore } from ${JSON.stringify(sourceModule('src/store/sql/sql-store.ts'))};
    const store = await SQLStore.open(${JSON.stringify(url)}, { migrate: false });
    const event = { type: 'sign_out', actorUserId: process.pid, subjectUserId: process.pid, ip: null, userAgent: null, detail: {} };
    process.stdout.write('ready\\n');
    await once(process.stdin, 'data');
    process.stdin.destroy();
    for (let i = 0; i < ${count}; i++) await store.audit.append(event, new Date());
    await store.close();
  `;
  const args = [...SOURCE_NODE_ARGS, '--input-type=module', '-e', script];
  const children = Array.from({ length: processes }, () => spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
  const exits = children.map(async (child) => (await once(child, 'exit'))[0]);
  const ready = (child: (typeof children)[number]) =>
    new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`a writer exited (${code}) before it was ready`)));
    });
  try {
    await Promise.all(children.map(ready));
  } finally {
    for (const child of children) child.stdin!.end('go\n');
  }
  assert.deepEqual(await Promise.all(exits), Array(processes).fill(0));
}

describe('appends from several writers at once keep one valid chain', () => {
  test('SQLite: three processes on one file', async () => {
    const dir = tempDir();
    const url = sqliteURL(dir);
    const store = await SQLStore.open(url);
    try {
      await appendFromOtherProcesses(url, 300);
      const result = await store.audit.verify();
      assert.deepEqual(result, { ok: true, count: 900, firstId: 1, lastId: 900 });
      const order = (await store.audit.list({ limit: 1000 })).map((e) => e.actorUserId);
      const switches = order.filter((writer, i) => i > 0 && writer !== order[i - 1]).length;
      assert.ok(switches >= 3, `the processes' appends interleaved (${switches} switches between writers)`);
    } finally {
      await store.close();
      dir.cleanup();
    }
  });

  describe('PostgreSQL: two pools, and three processes, appending concurrently', { skip: pg.skip }, () => {
    let database: FreshDatabase;
    before(async () => {
      database = await freshDatabase(pg.value!, 'auditrace', { migrated: true });
    });
    after(async () => database?.drop());

    test('200 concurrent appends through two pools of four connections', async () => {
      const a = await SQLStore.open(database.url, { poolSize: 4 });
      const b = await SQLStore.open(database.url, { poolSize: 4 });
      try {
        await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).audit.append(sampleEvent(i % 2, i), new Date())));
        assert.deepEqual(await a.audit.verify(), { ok: true, count: 200, firstId: 1, lastId: 200 });
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('three processes appending at once, beside this one', async () => {
      const store = await SQLStore.open(database.url, { poolSize: 2 });
      try {
        const before = (await store.audit.verify()).ok ? ((await store.audit.list({ limit: 1 }))[0]?.id ?? 0) : -1;
        await appendFromOtherProcesses(database.url, 150);
        assert.deepEqual(await store.audit.verify(), { ok: true, count: before + 450, firstId: 1, lastId: before + 450 });
        const order = (await store.audit.list({ limit: 450 })).map((e) => e.actorUserId);
        const switches = order.filter((writer, i) => i > 0 && writer !== order[i - 1]).length;
        assert.ok(switches >= 3, `the processes' appends interleaved (${switches} switches between writers)`);
      } finally {
        await store.close();
      }
    });
  });
});
