#!/usr/bin/env bash
# Hierarchical reconciliation at catalog scale: aggregate + reconcile (M5 levels) time and peak memory, vs hierarchicalforecast.
#
# Usage: bench/run.sh hierarchy   (env: BUILD; SERIES=30000 bottom series, DAYS=365 of history
# (the in-sample residuals mint_shrink uses); PEER_SERIES=3000 the subset hierarchicalforecast
# gets (it builds dense N x N matrices); HF_PYTHON=python with hierarchicalforecast and h5py,
# default /tmp/hf-venv/bin/python; KEEP=dir keeps the files). Base forecasts: snaive with
# --residuals (the model does not matter to the reconciliation's cost). Each method is timed
# with /usr/bin/time -v (wall seconds, peak RSS) through the command users run.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SK="${SKUCAST_BIN:-${BUILD:-$HERE/../build}/skucast}"
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
SERIES=${SERIES:-30000}; DAYS=${DAYS:-365}; PEER_SERIES=${PEER_SERIES:-3000}
METHODS="bu ols wls_struct wls_var mint_shrink"
HF_PYTHON="${HF_PYTHON:-/tmp/hf-venv/bin/python}"

timed() {  # timed LABEL CMD... — runs CMD under /usr/bin/time -v; prints "LABEL seconds peak_MB"
  local label=$1; shift
  /usr/bin/time -v "$@" 2> "$WORK/time.txt" > /dev/null || { cat "$WORK/time.txt" >&2; exit 1; }
  awk -v l="$label" '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i] }
       /Maximum resident set size/ { m = $NF / 1024 } END { printf "%s %.3f %.0f\n", l, s, m }' "$WORK/time.txt"
}

run_catalog() {  # run_catalog DIR N — synth, aggregate (m5), base forecast, every method
  local dir=$1 n=$2; mkdir -p "$dir"
  "$SK" synth --series "$n" --days "$DAYS" --seed 17 --out "$dir/panel.h5" 2> /dev/null
  timed "aggregate" "$SK" aggregate --panel "$dir/panel.h5" --levels m5 --out "$dir/agg.h5"
  "$SK" info "$dir/agg.h5" | sed -n 2p
  timed "forecast_snaive_residuals" "$SK" forecast --panel "$dir/agg.h5" --model snaive --horizon 28 --residuals \
    --out "$dir/base.h5"
  for m in $METHODS; do
    timed "reconcile_$m" "$SK" reconcile --base "$dir/base.h5" --structure "$dir/agg.h5" --method "$m" \
      --out "$dir/rec_$m.h5"
  done
}

echo "hierarchy: skucast on $SERIES series x $DAYS days, M5 levels ($(nproc) cores)"
run_catalog "$WORK/full" "$SERIES" | tee "$WORK/full.txt"
echo "hierarchy: skucast on the peer's subset, $PEER_SERIES series"
run_catalog "$WORK/sub" "$PEER_SERIES" | tee "$WORK/sub.txt"
peer_line=""
if [ -x "$HF_PYTHON" ] && "$HF_PYTHON" -c 'import hierarchicalforecast, h5py' > /dev/null 2>&1; then
  echo "hierarchy: hierarchicalforecast $("$HF_PYTHON" -c 'import hierarchicalforecast as h; print(h.__version__)') on the subset (fit_predict only, files read before the clock; relative max difference to skucast)"
  "$HF_PYTHON" "$HERE/hierarchy_peer.py" "$WORK/sub/agg.h5" "$WORK/sub/base.h5" "${METHODS// /,}" | tee "$WORK/peer.txt"
else
  echo "hierarchy: $HF_PYTHON with hierarchicalforecast and h5py not found (python3 -m venv /tmp/hf-venv && /tmp/hf-venv/bin/pip install hierarchicalforecast h5py); skipping the peer"
fi
fig() { awk -v l="$2" '$1 == l { print $'"$3"' }' "$1"; }
agg_s=$(fig "$WORK/full.txt" aggregate 2); agg_mb=$(fig "$WORK/full.txt" aggregate 3)
mint_s=$(fig "$WORK/full.txt" reconcile_mint_shrink 2); mint_mb=$(fig "$WORK/full.txt" reconcile_mint_shrink 3)
ols_s=$(fig "$WORK/full.txt" reconcile_ols 2)
sub_mint=$(fig "$WORK/sub.txt" reconcile_mint_shrink 2)
peer_mint=$( [ -f "$WORK/peer.txt" ] && awk '$2 == "mint_shrink" { print $3 }' "$WORK/peer.txt" || echo nan)
peer_mint=${peer_mint:-nan}
ratio=$(awk -v a="$sub_mint" -v b="$peer_mint" 'BEGIN { if (b == "nan" || a == 0) print "nan"; else printf "%.3g", b / a }')
echo "RESULT hierarchy series=$SERIES aggregate_s=$agg_s aggregate_peak_mb=$agg_mb ols_s=$ols_s mint_shrink_s=$mint_s mint_shrink_peak_mb=$mint_mb subset=$PEER_SERIES subset_mint_shrink_s=$sub_mint hf_subset_mint_shrink_s=$peer_mint ratio=$ratio"
