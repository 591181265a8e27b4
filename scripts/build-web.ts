/**
 * Builds the web page (web/) into dist/web/: app.ts and its modules bundled by esbuild into one
 * ES module, index.html and style.css copied. Run by `npm run build:web`, and before `npm start`
 * and `npm test` (prestart/pretest); the browser and header tests call `buildWeb()` themselves so
 * a filtered run works too.
 */
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInto } from './write-into.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the bundle goes; src/http/web-page.ts serves it from there. */
export const WEB_OUT_DIR = join(ROOT, 'dist', 'web');

/** Bundles web/app.ts and copies the static files, replacing each file atomically ({@link writeInto}). */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<void> {
  // esbuild is a devDependency: loaded here so an install without it still starts (and `/` says
  // the page is not built) instead of failing on an import.
  const { build } = await import('esbuild');
  await writeInto(outDir, async (scratch) => {
    await build({
      entryPoints: [join(ROOT, 'web', 'app.ts')],
      outfile: join(scratch, 'app.js'),
      bundle: true,
      format: 'esm',
      target: ['es2020'],
      minify: true,
      sourcemap: true,
      logLevel: 'warning',
    });
    for (const file of ['index.html', 'style.css']) copyFileSync(join(ROOT, 'web', file), join(scratch, file));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await buildWeb();
    console.log(`web page built into ${WEB_OUT_DIR}`);
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    console.error(missing ? 'esbuild is not installed (npm ci installs it): the web page at / is not built' : error);
    // Without esbuild the API still runs; a real build failure fails the build.
    process.exit(missing ? 0 : 1);
  }
}
