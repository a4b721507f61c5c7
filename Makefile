# Thin wrapper over CMake. `make run` and `make test` are the two commands of the README.
BUILD_DIR ?= build
JOBS ?= 2
DATA_DIR ?= ./data
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: deps build run test test-fast test-slow asan-test bench clean

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

# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole suite.
asan-test: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLATENTDB_SANITIZE=ON
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS) --timeout 1800

bench: build
	$(BUILD_DIR)/bench/ann_bench

clean:
	rm -rf $(BUILD_DIR) build-asan
