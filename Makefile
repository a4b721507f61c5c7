# Thin wrapper over CMake. `make run` and `make test` are the two commands of the README.
BUILD_DIR ?= build
JOBS ?= 2
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 5
# The sanitizer, ThreadSanitizer and fuzzing builds are slow and optional: nice'd, so that they do
# not starve other work on the machine.
NICE ?= nice -n 15

.PHONY: deps build run test test-fast test-slow cluster-test asan-test tsan-test fuzz-deps fuzz-build fuzz fuzz-smoke bench clean

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Trains and loads the demo models and data once (cached in DATA_DIR), then serves.
run: build
	BUILD_DIR=$(BUILD_DIR) DATA_DIR=$(DATA_DIR) HOST=$(HOST) PORT=$(PORT) ./scripts/run-demo.sh

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 900

# Quick cases only (no crash loops, no large data).
test-fast: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -LE slow

test-slow: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -L slow

# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole suite (tests/lsan.supp names the
# third-party leaks LeakSanitizer may not judge; the servers the tests start inherit it).
# The cluster's fault cases (tests/cluster/replication_test.cc) with FAULT_ROUNDS kills of a
# primary in a row under write load (make test runs one).
FAULT_ROUNDS ?= 5
cluster-test: build
	cd $(BUILD_DIR) && LATENTDB_FAULT_ROUNDS=$(FAULT_ROUNDS) ./tests/cluster/cluster_tests "[cluster]"

asan-test: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLATENTDB_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ctest --output-on-failure -j$(JOBS) --timeout 1800

# ThreadSanitizer build of the engine, index and HTTP tests, the server's limits and connections
# included (whole binaries, one process each;
# the HTTP tests' `latentdb serve` children are TSan builds too). FAISS's OpenMP, RocksDB and
# LibTorch are not instrumented: FAISS runs with one OpenMP thread (OMP_NUM_THREADS=1, set on
# the tests) and tests/tsan.supp names the third-party frames TSan may not judge. Every report,
# from any process, lands in build-tsan/tsan-reports/ and fails the target.
tsan-test: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DLATENTDB_TSAN=ON -DLATENTDB_BUILD_BENCH=OFF
	$(NICE) cmake --build build-tsan -j$(JOBS) --target latentdb engine_tests payload_index_tests index_tests http_tests http_unit_tests http_limits_tests http_connection_tests payload_index_http_tests snapshot_http_tests cluster_tests
	rm -rf build-tsan/tsan-reports && mkdir -p build-tsan/tsan-reports
	@cd build-tsan && $(NICE) ctest --output-on-failure -j$(JOBS) -L tsan; rc=$$?; cd ..; \
	if [ -n "$$(ls build-tsan/tsan-reports)" ]; then cat build-tsan/tsan-reports/*; \
	  echo "tsan-test: ThreadSanitizer reports above (build-tsan/tsan-reports/)"; exit 1; fi; \
	if [ $$rc -ne 0 ]; then exit $$rc; fi; echo "tsan-test: no ThreadSanitizer reports"

# libFuzzer targets (fuzz/, clang 14) in build-fuzz: `make fuzz` runs each for FUZZ_SECONDS and
# saves crashing inputs to fuzz/crashes/<target>/ (commit them: `make test` replays them);
# `make fuzz-smoke` runs each for a few seconds.
fuzz-deps: deps
	./scripts/install-fuzz-deps.sh

fuzz-build: fuzz-deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENTDB_FUZZ=ON
	$(NICE) cmake --build build-fuzz -j$(JOBS) --target fuzz_all

fuzz: fuzz-build
	FUZZ_FORK=1 $(NICE) ./fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	$(NICE) ./fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

bench: build
	$(BUILD_DIR)/bench/ann_bench

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
