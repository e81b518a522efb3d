#!/usr/bin/env bash
# bench/run.sh NAME [args] — runs one benchmark from a built tree (BUILD=build by default).
# Each benchmark is bench/NAME.sh; it measures skucast and its peer in the same run and ends
# with one line: RESULT NAME <figure>=<value> ... ratio=<skucast vs peer> (ratio > 1: skucast better).
# With no NAME, lists the benchmarks.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
export SKUCAST_SOURCE="$(dirname "$HERE")"
export BUILD="${BUILD:-$SKUCAST_SOURCE/build}"
export SKUCAST_BIN="${SKUCAST_BIN:-$BUILD/skucast}"
if [ $# -eq 0 ]; then
  echo "benchmarks (bench/run.sh NAME):"
  for f in "$HERE"/*.sh; do
    n=$(basename "$f" .sh); [ "$n" = run ] && continue; [ "$n" = gpu_check ] && continue; [ "$n" = gpu_pack ] && continue
    printf "  %-16s %s\n" "$n" "$(sed -n 2p "$f" | sed 's/^# *//')"
  done
  exit 0
fi
NAME=$1; shift
[ -f "$HERE/$NAME.sh" ] || { echo "bench: no benchmark '$NAME' (bench/run.sh lists them)" >&2; exit 2; }
[ -x "$SKUCAST_BIN" ] || { echo "bench: $SKUCAST_BIN not built; run ./scripts/build.sh first or set BUILD" >&2; exit 2; }
exec bash "$HERE/$NAME.sh" "$@"
