# pkh — the front door. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install any missing Debian packages first (apt-get, as root or through sudo).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
SAMPLE = examples/data/sample-households.csv

.PHONY: all build deps demo test bench install clean sanitize

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: deps
	@$(MAKE) --no-print-directory build
	@echo
	@echo "== pkh describe $(SAMPLE)"
	@$(BUILD)/bin/pkh describe $(SAMPLE) --format table

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: deps
	@$(MAKE) --no-print-directory build
	bench/run.sh

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (CI runs this too).
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPKH_SANITIZE=ON -DPKH_WERROR=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L unit

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan
