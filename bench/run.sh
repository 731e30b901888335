#!/usr/bin/env bash
# pkh's benchmarks (`make bench`). A benchmark, never a test: it times, it compares, it
# reports whether the targets are met, and it fails only if a tool fails or the tools disagree.
#
# Environment:
#   BENCH_CASES  cases to run, from bench/cases/*.py (default: describe profile profile-loaded)
#   BENCH_ROWS   rows in the generated household file (default: 10000000, about 656 MB)
#   BENCH_RUNS   timed runs of each tool, interleaved (default: 3)
#   BENCH_TOOLS  tools to run (default: every tool of the case; pkh always runs)
#   BENCH_QUIET_WAIT  seconds to wait for an idle machine before each run (default: 30)
#   BUILD        pkh's build directory (default: build), as in the Makefile
#   PKH          the pkh binary (default: $BUILD/bin/pkh)
# Data goes to bench/data/, results to bench/results/ (both ignored by git).
set -eu

cd "$(dirname "$0")/.."
BENCH_CASES=${BENCH_CASES:-describe profile profile-loaded variance-lin python-overhead}
BENCH_ROWS=${BENCH_ROWS:-10000000}
BENCH_RUNS=${BENCH_RUNS:-3}
BUILD=${BUILD:-build}
PKH=${PKH:-$BUILD/bin/pkh}
PY=/usr/bin/python3 # Debian's Python, where python3-pandas lives

say() { printf 'bench: %s\n' "$*"; }
die() {
    printf 'bench: %s\n' "$*" >&2
    exit 1
}

# 10000000 -> 10m, 250000 -> 250k: the data file's name says its size.
rows_label() {
    if [ $(($1 % 1000000)) -eq 0 ]; then
        echo "$(($1 / 1000000))m"
    elif [ $(($1 % 1000)) -eq 0 ]; then
        echo "$(($1 / 1000))k"
    else
        echo "$1"
    fi
}

# The generator is rebuilt when its source changes, and the data when the generator does.
ensure_households() {
    gen=bench/data/gen_households
    BENCH_DATA=bench/data/households-$(rows_label "$BENCH_ROWS").csv
    mkdir -p bench/data
    if [ ! -x "$gen" ] || [ bench/gen_households.c -nt "$gen" ]; then
        cc -std=c11 -O2 -ffp-contract=off -Wall -Wextra -o "$gen" bench/gen_households.c
    fi
    if [ ! -f "$BENCH_DATA" ] || [ "$gen" -nt "$BENCH_DATA" ]; then
        say "generating $BENCH_DATA ($BENCH_ROWS rows)"
        start=$(date +%s)
        "$gen" "$BENCH_ROWS" "$BENCH_DATA.tmp"
        mv "$BENCH_DATA.tmp" "$BENCH_DATA"
        say "generated $(wc -c <"$BENCH_DATA") bytes in $(($(date +%s) - start)) s"
    fi
    export BENCH_DATA
}

# pandas, R and data.table from Debian, DuckDB from npm at the version that
# bench/package-lock.json pins.
ensure_peers() {
    if ! "$PY" -c 'import pandas' 2>/dev/null || ! command -v npm >/dev/null 2>&1; then
        scripts/install-deps.sh python3-pandas nodejs npm
    fi
    case " $BENCH_CASES " in
    *" profile "*)
        if ! command -v Rscript >/dev/null 2>&1 ||
            ! Rscript -e 'library(data.table)' >/dev/null 2>&1; then
            scripts/install-deps.sh r-base-core r-cran-data.table
        fi
        ;;
    esac
    if [ ! -f bench/node_modules/@duckdb/node-api/package.json ]; then
        say "installing @duckdb/node-api into bench/node_modules"
        npm ci --prefix bench --no-audit --no-fund --loglevel=error
    fi
}

# profile-loaded's timing program, linked against $BUILD's static library; rebuilt when its
# source or the library changes, or when it was linked against another build directory.
ensure_profile_loaded() {
    PROFILE_LOADED=bench/data/profile_loaded
    lib=$BUILD/lib/libpkh.a
    [ -f "$lib" ] || die "$lib not found: build pkh first (make build), or run make bench"
    if [ ! -x "$PROFILE_LOADED" ] || [ bench/profile_loaded.c -nt "$PROFILE_LOADED" ] ||
        [ "$lib" -nt "$PROFILE_LOADED" ] ||
        [ "$(cat "$PROFILE_LOADED.lib" 2>/dev/null)" != "$lib" ]; then
        # shellcheck disable=SC2046
        cc -std=c11 -O2 -Wall -Wextra -Iinclude -I"$BUILD/include" -o "$PROFILE_LOADED" \
            bench/profile_loaded.c "$lib" $(pkg-config --libs gsl zlib jansson) -lcsv -lpthread -lm
        echo "$lib" >"$PROFILE_LOADED.lib"
    fi
    export PROFILE_LOADED
}

known_cases() {
    for f in bench/cases/*.py; do
        basename "$f" .py
    done | paste -sd ' ' -
}

[ -x "$PKH" ] || die "$PKH not found: build it first (make build), or run make bench"
for case in $BENCH_CASES; do
    [ -f "bench/cases/$case.py" ] || die "no benchmark case '$case' (cases: $(known_cases))"
done

ensure_households
ensure_peers
case " $BENCH_CASES " in *" profile-loaded "*) ensure_profile_loaded ;; esac
mkdir -p bench/results
stamp=$(date +%Y%m%d-%H%M%S)
export PKH BENCH_RUNS

status=0
for case in $BENCH_CASES; do
    BENCH_OUT=bench/results/$case-$(rows_label "$BENCH_ROWS")-$stamp
    export BENCH_OUT
    "$PY" "bench/cases/$case.py" || status=1
done
exit $status
