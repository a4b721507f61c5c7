#!/usr/bin/env bash
# Installs the Debian 12 packages of the fuzzing build (`make fuzz`, `make fuzz-smoke`): clang 14
# with its sanitizer and libFuzzer runtimes, and LLVM's OpenMP (FAISS is linked through it when
# clang builds the index). Only when one is missing; the ThreadSanitizer build needs nothing
# beyond scripts/install-deps.sh (GCC's libtsan comes with build-essential).
set -euo pipefail

PACKAGES=(
  clang-14             # the compiler: -fsanitize=fuzzer,address,undefined
  libclang-rt-14-dev   # libFuzzer, ASan, UBSan runtimes (libclang_rt.fuzzer-x86_64.a …)
  libomp-14-dev        # OpenMP for clang (index/ links FAISS with OpenMP)
)

exec "$(dirname "$0")/install-missing.sh" "${PACKAGES[@]}"
