#!/usr/bin/env bash
# Packs the package as npm would publish it, installs the tarball into an empty folder the way a
# user would (no checkout, no dev dependencies, no optional peers) and runs two consumers from
# test/consumer/: an ES module app (register, log in, a guarded host route, the server entry, the
# `bin`) and a TypeScript app type-checked by tsc, with a type test (a misspelt `request.user`
# field under `@ts-expect-error`, which tsc reports if it stops being an error).
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
const unwanted = paths.filter((path) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(path) || /\.map$|^dist\/bundle\//.test(path));
if (unwanted.length > 0) throw new Error(`the tarball holds files a user does not run: ${unwanted.join(', ')}`);
for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/server.js', 'dist/server.d.ts', 'dist/cli.js', 'dist/web/index.html', 'dist/web/app.js']) {
  if (!paths.includes(needed)) throw new Error(`the tarball lacks ${needed}`);
}
JS

# Install into an empty folder, as a user would.
APP="$WORK/app"
mkdir "$APP"
cp test/consumer/consumer.mjs test/consumer/consumer.ts test/consumer/tsconfig.json "$APP/"
cd "$APP"
echo '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install --prefer-offline --no-audit --no-fund "$WORK"/fastify-users-*.tgz 2>&1 | tee "$WORK/install.log"
packages=$(npm ls --all --parseable | tail -n +2 | wc -l)
echo "== installed: $packages packages, $(du -sm node_modules | cut -f1) MB in node_modules"
# npm warns on Node 20 (end of life) because cookie@2, a Fastify dependency, declares node >=22.
if [ "$NODE_MAJOR" != 20 ] && grep -q EBADENGINE "$WORK/install.log"; then
  echo "EBADENGINE warnings on Node $NODE_MAJOR (see above)" >&2
  exit 1
fi
require_node() { node -e "require('$1')"; }
require_node better-sqlite3
for absent in pg ioredis nodemailer @fastify/swagger @fastify/swagger-ui tsx esbuild typescript; do
  if [ -e "node_modules/$absent" ]; then echo "node_modules/$absent was installed: it must not be a runtime dependency" >&2; exit 1; fi
done

# The ES module consumer and the bin, with plain node.
node consumer.mjs
./node_modules/.bin/fastify-users help | grep -q '^usage: fastify-users'
DATABASE_URL="sqlite:$WORK/cli.db" ./node_modules/.bin/fastify-users migrate

# The TypeScript consumer: the same TypeScript and Node types as the repository (no install
# scripts: better-sqlite3, built above, would otherwise be compiled again).
version_of() { node -p "require('$ROOT/node_modules/$1/package.json').version"; }
npm install --prefer-offline --no-audit --no-fund --ignore-scripts --save-dev "typescript@$(version_of typescript)" "@types/node@$(version_of @types/node)" > /dev/null
./node_modules/.bin/tsc -p tsconfig.json
echo "== TypeScript consumer type-checks; the misspelt request.user field is a type error"
echo "== package: the ES module and the TypeScript consumer passed"
