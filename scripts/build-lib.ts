/**
 * Builds what the npm package ships for its entry points — `fastify-users` (src/index.ts),
 * `fastify-users/server` (src/server.ts) and the `fastify-users` command (src/cli.ts) — into
 * dist/lib/: `npm run build:lib` (part of `npm run build`, and of `prepack`).
 *
 * Why bundled: compiled file by file, every source file brought a `.js` and a `.d.ts` into the
 * tarball (205 files, and two more with each new module). Here esbuild writes each entry as one
 * ES module, with the code they share and each `import()`ed module (the PostgreSQL store, Redis,
 * SMTP, the CLI's commands) as chunks beside them, and rollup-plugin-dts rolls tsc's declarations
 * into one `.d.ts` per entry (plus one they share). scripts/ci-package.sh fails above 150 files.
 *
 * Unlike the service's bundle (scripts/build-server.ts), every package stays external: a library
 * must resolve `fastify`, `@fastify/cookie` and the rest from the host app's node_modules, one
 * copy shared with the app, and the optional peers only when configured.
 *
 * dist/lib/ is two levels under the root, like src/http/*.ts, so the paths the code derives from
 * `import.meta.url` (the built web page at ../../dist/web) hold here too.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInto } from './write-into.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LIB_DIR = join(ROOT, 'dist', 'lib');
/** tsc's declarations, file by file, read by the roll-up; the pattern `dist/.build-*` is never packed. */
const TYPES_DIR = join(ROOT, 'dist', '.build-types');
const ENTRIES = ['index', 'server', 'cli'] as const;
/** The entries with types: the command has none to offer. */
const TYPED_ENTRIES = ['index', 'server'] as const;

export async function buildLib(): Promise<void> {
  // Devdependencies, loaded here: an install without them still runs dist/ as built.
  const { build } = await import('esbuild');
  const { rollup } = await import('rollup');
  const { dts } = await import('rollup-plugin-dts');

  rmSync(TYPES_DIR, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', TYPES_DIR], {
    stdio: 'inherit',
  });
  try {
    await writeInto(
      LIB_DIR,
      async (scratch) => {
        await build({
          entryPoints: ENTRIES.map((name) => join(ROOT, 'src', `${name}.ts`)),
          outdir: scratch,
          entryNames: '[name]',
          chunkNames: 'chunk-[hash]',
          bundle: true,
          splitting: true,
          packages: 'external',
          platform: 'node',
          format: 'esm',
          target: 'node20',
          logLevel: 'warning',
        });
        const types = await rollup({
          input: Object.fromEntries(TYPED_ENTRIES.map((name) => [name, join(TYPES_DIR, `${name}.d.ts`)])),
          plugins: [dts()],
          external: [/^node:/],
          onwarn(warning, warn) {
            // Type-only circular references between our declaration files are harmless in a .d.ts.
            if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
          },
        });
        await types.write({ dir: scratch, format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'types-[hash].d.ts' });
        await types.close();
      },
      { last: 'index.js', prune: true },
    );
  } finally {
    rmSync(TYPES_DIR, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildLib();
  console.log(`library entries bundled into ${LIB_DIR}`);
}
