#!/usr/bin/env bash
# Demo step: the default GAN `fashion-gan`, trained once on Debian's Fashion-MNIST (about 10 minutes
# on 2 cores; fashion-cnn, from 20-images.sh, is its inversion feature model), and the collection
# `fashion_gan` filled with 10,000 generated samples stored with their latent codes (seeds 1…40,
# 250 each). The samples go through the real API: a temporary `latentdb serve` on a free local
# port, stopped at the end. Each part is skipped when its result is already in DATA_DIR.
set -euo pipefail
: "${LATENTDB:?LATENTDB must point at the latentdb binary}" "${DATA_DIR:?DATA_DIR must be set}"

[ -f "$DATA_DIR/models/fashion-gan/manifest.json" ] ||
  "$LATENTDB" train gan --data fashion-mnist --name fashion-gan --feature-model fashion-cnn --data-dir "$DATA_DIR"

marker="$DATA_DIR/.demo-fashion_gan-sampled"
[ -f "$marker" ] && exit 0

# shellcheck source=scripts/lib/serve_temporary.sh
. "$(dirname "$0")/../lib/serve_temporary.sh"
serve_temporary "$DATA_DIR" "$DATA_DIR/.demo-gan-serve.log"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$url/collections/fashion_gan" \
  -d '{"encoder":"fashion-gan","metric":"l2","index":"HNSW32"}')
[ "$code" = 200 ] || [ "$code" = 409 ] || { echo "creating fashion_gan answered $code"; exit 1; }
for seed in $(seq 1 40); do
  curl -sf -X POST "$url/collections/fashion_gan/sample" -d "{\"n\":250,\"seed\":$seed,\"store\":true}" >/dev/null
done
echo "fashion_gan: $(curl -sf "$url/collections/fashion_gan" | grep -o '"points_count":[0-9]*')"
touch "$marker"
