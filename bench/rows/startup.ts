import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { alternate, OUR_ENV, type BenchContext } from '../lib/context.js';
import { startServer } from '../lib/process.js';
import type { RowReport } from '../lib/report.js';
import { buildServerBundle } from '../../scripts/build-server.js';
import { median } from '../lib/stats.js';

/**
 * Row 6: process start to the first 200 (GET /health polled every 5 ms) on a fresh database
 * (the schema is migrated at start): the production entry `node dist/bundle/cli.js` (one esbuild
 * bundle, scripts/build-server.ts), the package's `bin`, `node dist/lib/cli.js` (our code in one
 * module, its dependencies loaded from node_modules: scripts/build-lib.ts), and `tsx src/cli.ts`.
 */
export async function startupRow(ctx: BenchContext): Promise<RowReport> {
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
  await buildServerBundle();
  let n = 0;
  const once = (command: string, args: string[]) => async () => {
    n += 1;
    const server = await startServer({
      name: `startup-${n}`,
      command,
      args,
      env: { ...OUR_ENV, DATABASE_URL: `sqlite:${join(ctx.dir, `startup-${n}`, 'auth.db')}` },
    });
    await server.stop();
    return server.startMs / 1000;
  };
  const samples = await alternate(ctx.config.startups, {
    bundled: once(process.execPath, ['dist/bundle/cli.js', 'serve']),
    compiled: once(process.execPath, ['dist/lib/cli.js', 'serve']),
    tsx: once(join('node_modules', '.bin', 'tsx'), ['src/cli.ts', 'serve']),
  });
  const [bundled, compiled, tsx] = [median(samples.bundled!), median(samples.compiled!), median(samples.tsx!)];
  return {
    id: 6,
    title: 'Start-up',
    metrics: [
      { label: 'node dist/bundle/cli.js serve → first 200', value: bundled, unit: 's' },
      { label: 'node dist/lib/cli.js serve (the package bin) → first 200', value: compiled, unit: 's' },
      { label: 'tsx src/cli.ts serve → first 200', value: tsx, unit: 's' },
    ],
    checks: [
      { label: 'production entry (node dist/bundle/cli.js)', value: bundled, unit: 's', target: { op: '<=', value: 0.6 } },
      { label: "the package's bin (node dist/lib/cli.js)", value: compiled, unit: 's' },
      { label: 'tsx src/cli.ts (compiles TypeScript at start)', value: tsx, unit: 's' },
    ],
    notes: [`median of ${ctx.config.startups} start-ups each, alternating, each on a new SQLite file (migrations run at start).`],
  };
}
