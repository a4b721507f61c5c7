#!/usr/bin/env bash
# Runs every fuzz target of build-fuzz for a while (`make fuzz`, `make fuzz-smoke`).
#
#   fuzz/run.sh SECONDS [TARGET...]      (default: every fuzz/<target>.cc)
#
# Each target starts from its committed seeds (fuzz/corpus/<t>/) plus what earlier runs found
# (build-fuzz/corpus/<t>/, where new inputs go: the repository's corpus stays small and
# reviewed). Crashes, leaks, timeouts (> 10 s for one input) and out-of-memory (> 2 GiB) are
# saved to fuzz/crashes/<t>/, where the replay tests of `make test` pick them up once committed.
# With FUZZ_FORK=1 (what `make fuzz` uses) a target keeps fuzzing after a crash, so that a long
# campaign reports every crash it finds, not only the first.
# Exit status: 0 when no target crashed, 1 otherwise (the summary lists them).
set -uo pipefail

cd "$(dirname "$0")/.."
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
build=${FUZZ_BUILD_DIR:-build-fuzz}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz/*.cc; do
    t=$(basename "$f" .cc)
    [ "$t" = make_index_seeds ] && continue
    targets+=("$t")
  done
fi

# FAISS's OpenMP threads only slow one-input-at-a-time fuzzing down.
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz/run.sh: $bin is not built (make fuzz-build)" >&2
    exit 2
  fi
  mkdir -p "$build/corpus/$t" "fuzz/crashes/$t"
  before=$(ls "fuzz/crashes/$t" | wc -l)
  mode=()
  if [ "${FUZZ_FORK:-0}" = 1 ]; then mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); fi
  echo "=== $t: ${seconds}s"
  "$bin" "${mode[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="fuzz/crashes/$t/" -print_final_stats=1 "$build/corpus/$t" "fuzz/corpus/$t" \
    > "$build/fuzz-$t.log" 2>&1
  rc=$?
  after=$(ls "fuzz/crashes/$t" | wc -l)
  # The last status line: executions, coverage, corpus size (and, in fork mode, crashes).
  grep -E '^#[0-9]+' "$build/fuzz-$t.log" | tail -1
  if [ $rc -ne 0 ] || [ "$after" -ne "$before" ]; then
    echo "*** $t: exit $rc, $((after - before)) new input(s) in fuzz/crashes/$t (log: $build/fuzz-$t.log)"
    grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|fuzz property violated|Test unit written' "$build/fuzz-$t.log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}"
  exit 1
fi
echo "fuzz: no crashes in ${#targets[@]} targets"
