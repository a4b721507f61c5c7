#!/usr/bin/env bash
# `make run`: prepares the demo data directory once (each step in scripts/demo.d/ is cached and
# skips itself when its result is already there), then serves it on HOST:PORT.
set -euo pipefail
: "${BUILD_DIR:=build}" "${DATA_DIR:=./data}" "${HOST:=127.0.0.1}" "${PORT:=8080}"
export LATENTDB="$BUILD_DIR/tools/latentdb" DATA_DIR
mkdir -p "$DATA_DIR"
for step in "$(dirname "$0")"/demo.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== demo step $(basename "$step")"
  bash "$step"
done
exec "$LATENTDB" serve --data-dir "$DATA_DIR" --host "$HOST" --port "$PORT"
