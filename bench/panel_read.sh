#!/usr/bin/env bash
# Streaming panel reads (blocks of series, decompressing) vs reading the same bytes raw.
# usage: bench/run.sh panel_read [SERIES] [DAYS] [BLOCK]
set -euo pipefail
S=${1:-30000}; T=${2:-1941}; BLOCK=${3:-4096}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/skucast_bench.XXXX"); trap 'rm -rf "$TMP"' EXIT
"$SKUCAST_BIN" synth --series "$S" --days "$T" --seed 1 --out "$TMP/panel.h5" >/dev/null
echo "panel file: $(du -h "$TMP/panel.h5" | cut -f1) on disk; $(nproc) cores"
"$BUILD/bench/bench_panel_read" "$TMP/panel.h5" "$BLOCK"
