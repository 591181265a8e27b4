/**
 * Builds the web page (web/) into dist/web/: app.ts and its modules bundled by esbuild into one
 * ES module, index.html and style.css copied. Run by `npm run build:web`, and before `npm start`
 * and `npm test` (prestart/pretest); the e2e test calls `buildWeb()` itself too.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes; src/http/web-page.ts serves it from there. */
export const WEB_OUT_DIR = join(ROOT, 'dist', 'web');

/** Bundles web/app.ts and copies the static files; resolves when done. */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'web', 'app.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    target: ['es2020'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(ROOT, 'web', file), join(outDir, file));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
  console.log(`web page built into ${WEB_OUT_DIR}`);
}
