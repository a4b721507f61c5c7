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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
       echo $((20000 + RANDOM % 20000)))
"$LATENTDB" serve --data-dir "$DATA_DIR" --host 127.0.0.1 --port "$port" >"$DATA_DIR/.demo-gan-serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  curl -sf "$url/readyz" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$DATA_DIR/.demo-gan-serve.log"; exit 1; }
  sleep 0.2
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$url/collections/fashion_gan" \
  -d '{"encoder":"fashion-gan","metric":"l2","index":"HNSW32"}')
[ "$code" = 200 ] || [ "$code" = 409 ] || { echo "creating fashion_gan answered $code"; exit 1; }
for seed in $(seq 1 40); do
  curl -sf -X POST "$url/collections/fashion_gan/sample" -d "{\"n\":250,\"seed\":$seed,\"store\":true}" >/dev/null
done
echo "fashion_gan: $(curl -sf "$url/collections/fashion_gan" | grep -o '"points_count":[0-9]*')"
touch "$marker"
