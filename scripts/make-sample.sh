#!/bin/sh
# Regenerate the small embedded sample (examples/data/sample-*.csv) with the synthetic survey
# generator: 3000 households, seed 1. Synthetic data, not real survey data.
set -eu
cd "$(dirname "$0")/.."
build/bin/pkh synth --households 3000 --seed 1 --no-gzip --out examples/data/sample --quiet
