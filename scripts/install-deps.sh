#!/usr/bin/env bash
# Installs the Debian 12 packages LatentDB builds and runs with, only when one is missing.
# Runs as root (CI) or through sudo (a developer's machine).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libfaiss-dev libopenblas-dev        # ANN index (static FAISS) and the BLAS it links against
  liblapacke-dev                      # LAPACK's C interface: the eigen-decomposition of PCA (maps, pca directions)
  librocksdb-dev libgflags-dev        # storage; gflags because Debian's RocksDB CMake config names it
  libboost-dev                        # Asio + Beast (header-only)
  libboost-program-options-dev        # the command line of the `latentdb` binary
  nlohmann-json3-dev                  # JSON
  libroaring-dev                      # roaring bitmaps of the payload indexes
  zlib1g-dev                          # reading the gzipped IDX files of the Fashion-MNIST package
  catch2                              # tests
  libhnswlib-dev                      # benchmark baseline only (header-only)
  libsimdjson-dev                     # benchmark baseline only: bench/json_bench, the review of the JSON parser
  dataset-fashion-mnist               # real data for tests, demo and benchmarks
  libfasttext-dev                     # Word2Vec: training, .bin models, subword vectors
  fasttext                            # the fastText CLI: baseline of the training benchmark
  dict-gcide wordnet-base bible-kjv-text  # English text for the default word corpus
  bible-kjv                           # the `bible` program: the only reader of bible-kjv-text's compressed data
  libssl-dev                          # SHA-256 (libcrypto): model files in word-model manifests, snapshot checksums
  libarchive-dev                      # snapshots are tar archives (written and read by libarchive)
  libtorch-dev                        # CNN and VAE image encoders (LibTorch, CPU)
  libstb-dev                          # image codecs (PNG, BMP, GIF) and PNG writing
  libjpeg62-turbo-dev                 # JPEG decoding (stb's JPEG decoder reads out of bounds on corrupt files)
  etcd-server                         # cluster mode (`serve --cluster etcd://…`): membership, and the tests' real etcd
  iproute2 iptables                   # the cluster tests' partitions: nodes in network namespaces, packets dropped by iptables
  curl                                # the README's examples and the smoke test of `make run`
  chromium                            # the web console's browser test (headless, driven by playwright-core)
  nodejs                              # runs that test's script (its pinned playwright-core needs Node.js >= 18)
  python3-numpy                       # the Python client (clients/python): numpy is its one dependency
  python3-pil                         # its decoded images as PIL images (optional for users; the tests use it)
  python3-gensim                      # the client's tests compare its KeyedVectors-like word model with gensim
  python3-venv python3-pip python3-setuptools python3-wheel  # the tests `pip install ./clients/python` offline in a venv
)
# npm installs the browser test's playwright-core from tests/console/browser/package-lock.json.
# Debian's npm package conflicts with a nodejs that bundles npm (NodeSource's build), so it is asked
# for only when there is no npm command.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

exec "$(dirname "$0")/install-missing.sh" "${PACKAGES[@]}"
