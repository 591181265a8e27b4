#!/usr/bin/env bash
# Packs the package as npm would publish it, installs the tarball into an empty folder the way a
# user would (no checkout, no dev dependencies; first with only the required peer, fastify, then
# with better-sqlite3, the optional peer the server runs SQLite on) and runs two consumers from
# test/consumer/: an ES module app (register, log in, a guarded host route, the server entry, the
# `bin`) and a TypeScript app type-checked by tsc with the type tests of test/types/ (each
# `@ts-expect-error` there must still be an error against the package's .d.ts). Fails when the
# tarball holds files a user does not run, or more than 150 files.
# Called by .ci/run and by scripts/ci-node-lines.sh under each Node line; `--no-build` reuses dist/.
# Dependencies come from npm's cache, warmed by `npm ci` (--prefer-offline), else the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ "${1:-}" = "--no-build" ] || npm run build --silent

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastify-users-pack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')

# Pack: only what a user runs. prepack would build again; the build above is enough.
npm pack --ignore-scripts --json --pack-destination "$WORK" > "$WORK/pack.json"
node - "$WORK/pack.json" <<'JS'
const [pack] = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const paths = pack.files.map((file) => file.path);
console.log(`== packed ${pack.filename}: ${(pack.size / 1024).toFixed(1)} kB, ${pack.entryCount} files, ${(pack.unpackedSize / 1024).toFixed(1)} kB unpacked`);
const unwanted = paths.filter((path) => !/^(dist\/(lib|web)\/|README\.md$|LICENSE$|package\.json$)/.test(path) || /\.map$/.test(path));
if (unwanted.length > 0) throw new Error(`the tarball holds files a user does not run: ${unwanted.join(', ')}`);
for (const needed of ['LICENSE', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/server.js', 'dist/lib/server.d.ts', 'dist/lib/cli.js', 'dist/web/index.html', 'dist/web/app.js']) {
  if (!paths.includes(needed)) throw new Error(`the tarball lacks ${needed}`);
}
// Each file is one more entry to download, unpack and scan for every user: the entries are bundled
// (scripts/build-lib.ts) so that new source files do not add to this (docs/operations.md).
const MAX_FILES = 150;
if (pack.entryCount > MAX_FILES) throw new Error(`the tarball holds ${pack.entryCount} files, more than ${MAX_FILES}: ${paths.join(', ')}`);
JS

# Install into an empty folder, as a user would: first as a library user on PostgreSQL, with the
# one required peer (fastify) and no SQLite driver to compile.
APP="$WORK/app"
mkdir "$APP"
cp test/consumer/consumer.mjs test/consumer/consumer.ts test/consumer/tsconfig.json "$APP/"
cd "$APP"
echo '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }' > package.json
version_of() { node -p "require('$ROOT/node_modules/$1/package.json').version"; }
npm install --prefer-offline --no-audit --no-fund "$WORK"/fastify-users-*.tgz "fastify@$(version_of fastify)" 2>&1 | tee "$WORK/install.log"
packages=$(npm ls --all --parseable | tail -n +2 | wc -l)
echo "== installed (library, no SQLite): $packages packages, $(du -sm node_modules | cut -f1) MB in node_modules"
# npm warns on Node 20 (end of life) because cookie@2, a Fastify dependency, declares node >=22.
if [ "$NODE_MAJOR" != 20 ] && grep -q EBADENGINE "$WORK/install.log"; then
  echo "EBADENGINE warnings on Node $NODE_MAJOR (see above)" >&2
  exit 1
fi
for absent in better-sqlite3 pg ioredis nodemailer @fastify/swagger @fastify/swagger-ui tsx esbuild typescript; do
  if [ -e "node_modules/$absent" ]; then echo "node_modules/$absent was installed: it must not be a runtime dependency" >&2; exit 1; fi
done
# Importing the library loads no CLI, server-only or optional package (as test/optional/library-path.test.ts
# checks on the sources), and the bin on SQLite names the package to install.
: > "$WORK/resolved.txt"
node --input-type=module --eval "
  import { register } from 'node:module';
  register('file://$ROOT/test/optional/record-imports-hooks.mjs', { data: { out: '$WORK/resolved.txt' } });
  await import('fastify-users');"
loaded=$(grep -oE 'node_modules/(@[^/]+/)?[^/]+' "$WORK/resolved.txt" | sort -u | sed 's#node_modules/##' | tr '\n' ' ')
echo "== import 'fastify-users' resolves: $loaded"
for server_only in csv-parse helmet better-sqlite3; do
  if grep -q "node_modules/$server_only/" "$WORK/resolved.txt"; then echo "import 'fastify-users' loaded $server_only" >&2; exit 1; fi
done
if DATABASE_URL="sqlite:$WORK/none.db" ./node_modules/.bin/fastify-users migrate 2> "$WORK/bin.err"; then echo "the bin ran SQLite without better-sqlite3" >&2; exit 1; fi
grep -q 'needs the optional package "better-sqlite3": npm install better-sqlite3@12$' "$WORK/bin.err" || { cat "$WORK/bin.err" >&2; exit 1; }
echo "== without better-sqlite3: $(cat "$WORK/bin.err")"

# Then SQLite, as the server and the consumers below use it.
npm install --prefer-offline --no-audit --no-fund "better-sqlite3@$(version_of better-sqlite3)" 2>&1 | tail -n 3
packages=$(npm ls --all --parseable | tail -n +2 | wc -l)
echo "== installed (with better-sqlite3): $packages packages, $(du -sm node_modules | cut -f1) MB in node_modules"
require_node() { node -e "require('$1')"; }
require_node better-sqlite3

# The ES module consumer and the bin, with plain node.
node consumer.mjs
./node_modules/.bin/fastify-users help | grep -q '^usage: fastify-users'
DATABASE_URL="sqlite:$WORK/cli.db" ./node_modules/.bin/fastify-users migrate

# The TypeScript consumer: the same TypeScript and Node types as the repository (no install
# scripts: better-sqlite3, built above, would otherwise be compiled again).
npm install --prefer-offline --no-audit --no-fund --ignore-scripts --save-dev "typescript@$(version_of typescript)" "@types/node@$(version_of @types/node)" "@fastify/jwt@$(version_of @fastify/jwt)" > /dev/null
# The type tests of test/types/ against the package's rolled-up .d.ts instead of the sources.
for file in "$ROOT"/test/types/*.test-d.ts; do
  sed -e "s#'../../src/index.js'#'fastify-users'#" -e "s#'../../src/server.js'#'fastify-users/server'#" "$file" > "$(basename "$file")"
done
if grep -q "'\.\./" ./*.test-d.ts; then echo "a type test imports a path the package does not export" >&2; exit 1; fi
./node_modules/.bin/tsc -p tsconfig.json
# decoratorName beside @fastify/jwt: a program of its own, as in the repository (its module
# augmentation renames our request decorator for everything compiled with it).
mkdir decorator-name
cp tsconfig.json decorator-name/
for file in "$ROOT"/test/types/decorator-name/*.test-d.ts; do
  sed -e "s#'../../../src/index.js'#'fastify-users'#g" "$file" > "decorator-name/$(basename "$file")"
done
if grep -q "'\.\./" decorator-name/*.test-d.ts; then echo "a type test imports a path the package does not export" >&2; exit 1; fi
./node_modules/.bin/tsc -p decorator-name/tsconfig.json
echo "== TypeScript consumer and test/types/ type-check against the package's .d.ts; every @ts-expect-error is an error"
echo "== package: the ES module and the TypeScript consumer passed"
