# pkh — the front door. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install any missing Debian packages first (apt-get, as root or through sudo).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
SAMPLE = examples/data/sample-households.csv

# Debian packages of the Python module (build, numpy and pandas, the README's venv install) and
# of its tests (pytest; nbclient, ipykernel and matplotlib run the example notebook headless);
# the module is for Debian's /usr/bin/python3 and nothing comes from PyPI.
PYTHON_DEPS = python3-dev python3-numpy python3-pandas python3-venv python3-pip \
	python3-setuptools python3-wheel
PYTEST_DEPS = $(PYTHON_DEPS) python3-pytest python3-nbclient python3-nbformat \
	python3-ipykernel python3-matplotlib

.PHONY: all build deps demo test bench install clean sanitize tsan python

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

DEMO = $(BUILD)/demo
demo: deps
	@$(MAKE) --no-print-directory build
	@echo
	@echo "== A synthetic SUSENAS-like survey of 50 000 households (pkh synth; not real data)"
	@$(BUILD)/bin/pkh synth --households 50000 --out $(DEMO)
	@echo
	@echo "== Poverty profile by province: headcount (fgt0), gap (fgt1), severity (fgt2), Gini"
	@echo "   person-weighted (weight x hhsize), BPS province x urban lines (povline)"
	@$(BUILD)/bin/pkh indicators $(DEMO)-households.csv.gz --income pcexp --weight weight \
	    --size hhsize --line povline --by province --indicators fgt0,fgt1,fgt2,gini \
	    --strata strata --psu psu --format table
	@echo
	@echo "== PKH 2019 simulated on the same households (recipients as surveyed), by province:"
	@echo "   families paid, annual budget (Rp), headcount before and after the benefit"
	@$(BUILD)/bin/pkh simulate $(DEMO)-households.csv.gz --program pkh-2019 --recipient pkh \
	    --income pcexp --weight weight --size hhsize --line povline --by province \
	    --indicators families,budget,fgt0_before,fgt0_after,fgt0_change,lifted --format table
	@echo
	@echo "== Targeting of PKH: who receives (pkh) against who is poor (pcexp < povline);"
	@echo "   coverage of the poor, leakage, coverage by expenditure decile, design SEs"
	@$(BUILD)/bin/pkh targeting $(DEMO)-households.csv.gz --income pcexp --weight weight \
	    --size hhsize --recipient pkh --benchmark line:povline --groups decile \
	    --strata strata --psu psu --format table

test: deps
	@scripts/install-deps.sh $(PYTEST_DEPS)
	@$(MAKE) --no-print-directory python
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The Python module, assembled in $(BUILD)/python (README.md, "Python", installs it in a venv).
python: deps
	@scripts/install-deps.sh $(PYTHON_DEPS)
	cmake -S . -B $(BUILD) -DPKH_BUILD_PYTHON=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

bench: deps
	@$(MAKE) --no-print-directory build
	bench/run.sh

# The unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (CI runs this too).
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPKH_SANITIZE=ON -DPKH_WERROR=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -L unit

# The multi-threaded unit tests under ThreadSanitizer (clang), for data races (CI runs this too).
tsan: deps
	@scripts/install-deps.sh clang
	CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPKH_BUILD_PYTHON=OFF \
	    -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
	    -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread
	cmake --build build-tsan -j $(JOBS) --target test_csv test_stats test_design test_expr \
	    test_program test_targeting test_synth
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j 1 \
	    -R '^test_(csv|stats|design|expr|program|targeting|synth)$$'

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan
