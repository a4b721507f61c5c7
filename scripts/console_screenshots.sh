#!/usr/bin/env bash
# The README's console screenshots (docs/images/console-*.png), taken again: serves DATA_DIR — the
# demo data of `make run` (scripts/run-demo.sh: fashion_cnn, fashion_vae, a word model `glove`) —
# on a free local port, runs scripts/console_screenshots.cjs against it (headless Debian chromium,
# playwright-core from the build tree), then stops the server.
#
# Usage: scripts/console_screenshots.sh [DATA_DIR (default ./data)] [OUT_DIR (default docs/images)]
#        [extra options for console_screenshots.cjs, e.g. --word queen]
# Env: LATENTDB (default build/tools/latentdb), BUILD_DIR (default build; playwright-core is taken
# from BUILD_DIR/tests/console/browser/node_modules, installed by `ctest -L browser` or by
# `npm ci --prefix BUILD_DIR/tests/console/browser`), CHROMIUM (default /usr/bin/chromium).
# DATA_DIR must not be served by another process (the server holds its lock).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-./data}"
out="${2:-$repo/docs/images}"
shift $(( $# > 2 ? 2 : $# ))
: "${BUILD_DIR:=$repo/build}" "${LATENTDB:=$BUILD_DIR/tools/latentdb}" "${CHROMIUM:=/usr/bin/chromium}"
modules="$BUILD_DIR/tests/console/browser/node_modules"
[ -d "$modules/playwright-core" ] || {
  echo "no playwright-core in $modules: run  npm ci --no-audit --no-fund --prefix $BUILD_DIR/tests/console/browser"
  exit 1
}
# shellcheck source=scripts/lib/serve_temporary.sh
. "$repo/scripts/lib/serve_temporary.sh"
serve_temporary "$data" "$(mktemp)" --remove-log
node "$repo/scripts/console_screenshots.cjs" --url "$url" --out "$out" --modules "$modules" --chromium "$CHROMIUM" "$@"
