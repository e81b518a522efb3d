#!/usr/bin/env bash
# Auto ETS and Theta on M3 series, one core: skucast vs R forecast::ets/thetaf and statsforecast AutoETS (speed + sMAPE/MASE).
#
# Usage: bench/run.sh ets   (env: BUILD, M3_EVERY_Y=1 M3_EVERY_Q=4 M3_EVERY_M=10 pick every
# k-th series of each period; SF_PYTHON=python with statsforecast, default /tmp/sfenv/bin/python3;
# KEEP=dir keeps the forecast files). Peers that are not installed are skipped (their
# figures print as nan). Data: bench/data/m3_ymq.csv.gz (see bench/data/README.md).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BUILD="${BUILD:-$HERE/../build}"
DRIVER="$BUILD/bench/bench_ets"
[ -x "$DRIVER" ] || { echo "ets: $DRIVER not built (needs Google Benchmark: libbenchmark-dev)" >&2; exit 2; }
WORK="${KEEP:-$(mktemp -d)}"; mkdir -p "$WORK"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
EY=${M3_EVERY_Y:-1}; EQ=${M3_EVERY_Q:-4}; EM=${M3_EVERY_M:-10}
zcat "$HERE/data/m3_ymq.csv.gz" | awk -F, -v ey="$EY" -v eq="$EQ" -v em="$EM" '
  NR == 1 { print; next }
  { k = ($2 == "yearly") ? ey : (($2 == "quarterly") ? eq : em); c[$2]++; if ((c[$2] - 1) % k == 0) print }' \
  > "$WORK/series.csv"
N=$(($(wc -l < "$WORK/series.csv") - 1))
echo "ets: $N M3 series (every ${EY}th yearly, ${EQ}th quarterly, ${EM}th monthly), one core"
PIN=""; command -v taskset > /dev/null && PIN="taskset -c 0"

# skucast (ETS, Theta and their mean ensemble); the driver times each series itself.
$PIN "$DRIVER" --csv "$WORK/series.csv" --out "$WORK/skucast.csv" --models ets,theta,ets+theta | tee "$WORK/skucast.txt"
sk=$(awk '$1 == "series_per_s" && $2 == "ets" { print $3 }' "$WORK/skucast.txt")
sk_theta=$(awk '$1 == "series_per_s" && $2 == "theta" { print $3 }' "$WORK/skucast.txt")

rate() {  # series/s of model $2 in forecast file $1 (sum of per-series seconds)
  awk -F, -v m="$2" 'NR > 1 && $2 == m { s += $3; c++ } END { if (s > 0) printf "%.4g", c / s; else print "nan" }' "$1"
}
FILES=("$WORK/skucast.csv")
r="nan"; r_theta="nan"
if command -v Rscript > /dev/null && Rscript -e 'suppressMessages(library(forecast))' > /dev/null 2>&1; then
  echo "ets: R $(Rscript -e 'cat(as.character(packageVersion("forecast")))') forecast::ets / thetaf ..."
  $PIN Rscript "$HERE/ets_peer.R" "$WORK/series.csv" "$WORK/r_forecast.csv"
  r=$(rate "$WORK/r_forecast.csv" ets); r_theta=$(rate "$WORK/r_forecast.csv" theta)
  FILES+=("$WORK/r_forecast.csv")
else
  echo "ets: R with the forecast package not found (apt-get install r-cran-forecast); skipping R"
fi
sf="nan"
SF_PYTHON="${SF_PYTHON:-/tmp/sfenv/bin/python3}"
if [ -x "$SF_PYTHON" ] && "$SF_PYTHON" -c 'import statsforecast' > /dev/null 2>&1; then
  echo "ets: statsforecast $("$SF_PYTHON" -c 'import statsforecast; print(statsforecast.__version__)') AutoETS ..."
  NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 $PIN "$SF_PYTHON" "$HERE/ets_statsforecast.py" "$WORK/series.csv" "$WORK/statsforecast.csv"
  sf=$(rate "$WORK/statsforecast.csv" ets)
  FILES+=("$WORK/statsforecast.csv")
else
  echo "ets: statsforecast not found (python3 -m venv /tmp/sfenv && /tmp/sfenv/bin/pip install statsforecast); skipping"
fi

/usr/bin/python3 "$HERE/m3_accuracy.py" "$WORK/series.csv" "${FILES[@]}"
ratio=$(awk -v a="$sk" -v b="$r" 'BEGIN { if (b == "nan" || b == 0) print "nan"; else printf "%.3g", a / b }')
ratio_sf=$(awk -v a="$sk" -v b="$sf" 'BEGIN { if (b == "nan" || b == 0) print "nan"; else printf "%.3g", a / b }')
echo "RESULT ets series_per_s_per_core=$sk r_series_per_s=$r statsforecast_series_per_s=$sf theta_series_per_s=$sk_theta r_theta_series_per_s=$r_theta ratio_statsforecast=$ratio_sf ratio=$ratio"
