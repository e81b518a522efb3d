#!/usr/bin/env bash
# Auto ARIMA on M3 and on 1,941-day synthetic daily series, one core: skucast vs R forecast::auto.arima and statsforecast AutoARIMA (speed + sMAPE/MASE).
#
# Usage: bench/run.sh arima   (env: BUILD, M3_EVERY_Y=10 M3_EVERY_Q=20 M3_EVERY_M=40 pick every
# k-th series of each M3 period (R's auto.arima takes seconds per monthly series);
# DAILY_SERIES=8 synthetic daily series of 1,941 days (m = 7, the last 28 held out), 0 to skip;
# SF_PYTHON=python with statsforecast, default /tmp/sfenv/bin/python3; KEEP=dir keeps the
# files). Peers that are not installed are skipped (their figures print as nan). Data:
# bench/data/m3_ymq.csv.gz (see bench/data/README.md) and `skucast synth`.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
DRIVER="$BUILD/bench/bench_ets"  # the stat-model driver: --models arima
SKUCAST_BIN="${SKUCAST_BIN:-$BUILD/skucast}"
[ -x "$DRIVER" ] || { echo "arima: $DRIVER not built (needs Google Benchmark: libbenchmark-dev)" >&2; exit 2; }
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
EY=${M3_EVERY_Y:-10}; EQ=${M3_EVERY_Q:-20}; EM=${M3_EVERY_M:-40}; ND=${DAILY_SERIES:-8}
PIN=""; command -v taskset > /dev/null && PIN="taskset -c 0"
SF_PYTHON="${SF_PYTHON:-/tmp/sfenv/bin/python3}"
have_r=0; Rscript -e 'suppressMessages(library(forecast))' > /dev/null 2>&1 && have_r=1
have_sf=0; [ -x "$SF_PYTHON" ] && "$SF_PYTHON" -c 'import statsforecast' > /dev/null 2>&1 && have_sf=1

rate() {  # series/s of model arima in forecast file $1 (sum of per-series seconds)
  awk -F, 'NR > 1 && $2 == "arima" { s += $3; c++ } END { if (s > 0) printf "%.4g", c / s; else print "nan" }' "$1"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3g", a / b }'; }

# run_set NAME series.csv: skucast, R and statsforecast on one set; sets sk_NAME, r_NAME, sf_NAME.
run_set() {
  local name=$1 csv=$2
  local files=("$WORK/skucast_$name.csv")
  $PIN "$DRIVER" --csv "$csv" --out "$WORK/skucast_$name.csv" --models arima > /dev/null
  local sk r="nan" sf="nan"
  sk=$(rate "$WORK/skucast_$name.csv")
  if [ $have_r = 1 ]; then
    $PIN Rscript "$HERE/arima_peer.R" "$csv" "$WORK/r_$name.csv"
    r=$(rate "$WORK/r_$name.csv"); files+=("$WORK/r_$name.csv")
  fi
  if [ $have_sf = 1 ]; then
    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 $PIN "$SF_PYTHON" "$HERE/arima_statsforecast.py" "$csv" "$WORK/statsforecast_$name.csv"
    sf=$(rate "$WORK/statsforecast_$name.csv"); files+=("$WORK/statsforecast_$name.csv")
  fi
  /usr/bin/python3 "$HERE/m3_accuracy.py" "$csv" "${files[@]}"
  echo "arima[$name]: series/s skucast $sk  R $r  statsforecast $sf"
  eval "sk_$name=$sk r_$name=$r sf_$name=$sf"
}

zcat "$HERE/data/m3_ymq.csv.gz" | awk -F, -v ey="$EY" -v eq="$EQ" -v em="$EM" '
  NR == 1 { print; next }
  { k = ($2 == "yearly") ? ey : (($2 == "quarterly") ? eq : em); c[$2]++; if ((c[$2] - 1) % k == 0) print }' \
  > "$WORK/m3.csv"
echo "arima: $(($(wc -l < "$WORK/m3.csv") - 1)) M3 series (every ${EY}th yearly, ${EQ}th quarterly, ${EM}th monthly), one core"
[ $have_r = 1 ] || echo "arima: R with the forecast package not found; skipping R"
[ $have_sf = 1 ] || echo "arima: statsforecast not found (python3 -m venv /tmp/sfenv && /tmp/sfenv/bin/pip install statsforecast); skipping"
run_set m3 "$WORK/m3.csv"

sk_daily=nan r_daily=nan sf_daily=nan
if [ "$ND" -gt 0 ]; then
  [ -x "$SKUCAST_BIN" ] || { echo "arima: $SKUCAST_BIN not built" >&2; exit 2; }
  "$SKUCAST_BIN" synth --series "$ND" --days 1941 --horizon 0 --seed 7 --out "$WORK/daily.h5" > /dev/null 2>&1
  "$SKUCAST_BIN" export "$WORK/daily.h5" --csv "$WORK/daily_long.csv" > /dev/null 2>&1
  # long (series_id,time,value,...) -> one row per series: train = all but the last 28 days.
  /usr/bin/python3 - "$WORK/daily_long.csv" "$WORK/daily.csv" <<'PY'
import csv, sys
from collections import OrderedDict
vals = OrderedDict()
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f):
        if row["value"] != "":
            vals.setdefault(row["series_id"], []).append(row["value"])
with open(sys.argv[2], "w") as out:
    out.write("id,period,m,h,train,test\n")
    for sid, v in vals.items():
        out.write(f"{sid},daily,7,28,{';'.join(v[:-28])},{';'.join(v[-28:])}\n")
PY
  echo "arima: $ND synthetic daily series of $(awk -F, 'NR == 2 { print split($5, a, ";") + 28 }' "$WORK/daily.csv") days (m = 7)"
  run_set daily "$WORK/daily.csv"
fi

echo "RESULT arima series_per_s_per_core=$sk_m3 r_series_per_s=$r_m3 statsforecast_series_per_s=$sf_m3 ratio_statsforecast=$(ratio "$sk_m3" "$sf_m3") ratio=$(ratio "$sk_m3" "$r_m3")"
echo "RESULT arima_daily series_per_s_per_core=$sk_daily r_series_per_s=$r_daily statsforecast_series_per_s=$sf_daily ratio_statsforecast=$(ratio "$sk_daily" "$sf_daily") ratio=$(ratio "$sk_daily" "$r_daily")"
