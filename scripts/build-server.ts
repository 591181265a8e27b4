/**
 * Bundles the service (src/cli.ts and everything it imports) into the ES module dist/bundle/cli.js,
 * with a few chunks beside it for what is loaded on demand, with esbuild: `npm run build:server`
 * (part of `npm run build`).
 *
 * Why: Node 20 spends most of the service's start-up finding, reading and compiling ~1,000 module
 * files one by one (ESM resolution alone was ~90 ms); one file starts in about 60 % of the time
 * (docs/BENCHMARKS.md, row 6). `node dist/bundle/cli.js serve` is the production entry; the
 * package's `bin`, `dist/lib/cli.js` (scripts/build-lib.ts), and `tsx src/cli.ts` behave the same, only slower to start.
 *
 * Kept outside the bundle, loaded from node_modules at run time:
 * - native addons (better-sqlite3, @node-rs/*): their `.node` binaries are found relative to
 *   their own package;
 * - @fastify/swagger and @fastify/swagger-ui: they read their own files through `__dirname`
 *   (package.json, Swagger UI's static assets), which an ES bundle does not have;
 * - pg, ioredis, nodemailer: imported only when DATABASE_URL, REDIS_URL or SMTP_URL ask for them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeInto } from './write-into.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * Where the bundle goes. Two levels under the root, like dist/http/*.js, so the paths the code
 * derives from `import.meta.url` (the built web page at ../../dist/web) hold in the bundle too.
 */
export const SERVER_BUNDLE_DIR = join(ROOT, 'dist', 'bundle');
export const SERVER_BUNDLE = join(SERVER_BUNDLE_DIR, 'cli.js');

export const BUNDLE_EXTERNALS = ['better-sqlite3', '@node-rs/*', '@fastify/swagger', '@fastify/swagger-ui', 'pg', 'ioredis', 'nodemailer'];

/**
 * Builds dist/bundle/cli.js, its chunks and their source maps, each file replaced atomically and
 * the entry last ({@link writeInto}), so a process starting the bundle while another rebuilds it
 * never reads half a file; the previous build's chunks are deleted afterwards.
 */
export async function buildServerBundle(): Promise<string> {
  // esbuild is a devDependency, as for the web page: a production install runs dist/ as built.
  const { build } = await import('esbuild');
  await writeInto(
    SERVER_BUNDLE_DIR,
    async (scratch) => {
      await build({
        entryPoints: [join(ROOT, 'src', 'cli.ts')],
        outdir: scratch,
        entryNames: '[name]',
        bundle: true,
        // What src/ imports with `import()` (the PostgreSQL store, the Redis counters, SMTP, the CLI's
        // account commands) becomes a chunk of its own, loaded only when asked for — with the
        // external client (pg, ioredis, nodemailer) it imports. In one file those imports would be
        // hoisted to the top and loaded at every start (~0.15 s: docs/BENCHMARKS.md, row 6).
        splitting: true,
        chunkNames: 'chunk-[hash]',
        // Less source for V8 to read and pre-parse at every start (~5 % of row 6); names are kept,
        // so stack traces stay readable, and the source maps point into src/.
        minifyWhitespace: true,
        minifySyntax: true,
        // Classes and functions keep their own names: hoisting every module into one scope would
        // rename colliding ones (`AccessToken2`), and oidc-provider picks a token's format by its
        // class's name — renamed, the token endpoint failed on every JWT access token.
        keepNames: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        external: BUNDLE_EXTERNALS,
        // CommonJS dependencies inside an ES module still call `require` (for node: built-ins).
        banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
        sourcemap: true,
        logLevel: 'warning',
      });
    },
    { last: 'cli.js', prune: true },
  );
  return SERVER_BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildServerBundle();
  console.log(`service bundled into ${SERVER_BUNDLE}`);
}
