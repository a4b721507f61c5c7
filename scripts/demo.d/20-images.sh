#!/usr/bin/env bash
# Demo step: the default image encoders, trained once on Debian's Fashion-MNIST (dataset-fashion-mnist),
# and its 70,000 images ingested into one collection per encoder. Each part is skipped when its
# result is already in DATA_DIR (models by their manifest, collections by a marker written after a
# complete ingest; an interrupted ingest resumes with --resume).
set -euo pipefail
FM=/usr/share/datasets/fashion-mnist

has_model() { [ -f "$DATA_DIR/models/$1/manifest.json" ]; }

has_model fashion-cnn || "$LATENTDB" train cnn --data fashion-mnist --name fashion-cnn --data-dir "$DATA_DIR"
has_model fashion-vae || "$LATENTDB" train vae --data fashion-mnist --name fashion-vae --data-dir "$DATA_DIR"

ingest() {  # collection model metric
  local marker="$DATA_DIR/.demo-$1-ingested"
  [ -f "$marker" ] && return 0
  "$LATENTDB" ingest --collection "$1" --encoder "$2" --metric "$3" --index HNSW32 --resume --data-dir "$DATA_DIR" \
    "$FM/train-images-idx3-ubyte.gz" "$FM/t10k-images-idx3-ubyte.gz"
  touch "$marker"
}
ingest fashion_cnn fashion-cnn cosine
ingest fashion_vae fashion-vae l2
